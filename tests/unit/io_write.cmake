# Tests of the writer half of dcn_io (chunk encoder, writer, JSON).
dcn_add_test(test_json_write SOURCES unit/test_json_write.c
    LIBS dcn_io dcn_testsupport)
