# Tests of the writer half of dcn_io (chunk encoder, writer, JSON).
dcn_add_test(test_json_write SOURCES unit/test_json_write.c
    LIBS dcn_io dcn_testsupport)
dcn_add_test(test_rtdc_write SOURCES unit/test_rtdc_write.c
    LIBS dcn_io dcn_testsupport)
target_compile_definitions(test_rtdc_write PRIVATE
    DCN_TEST_OUT_DIR="${CMAKE_CURRENT_BINARY_DIR}")
