# Reader half of the .rtdc I/O (issue 3).
dcn_add_test(test_chunk_decode SOURCES unit/test_chunk_decode.c
    LIBS dcn_io dcn_testsupport LABELS io)
add_library(dcn_rtdc_fixture STATIC unit/rtdc_fixture.c)
target_include_directories(dcn_rtdc_fixture PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(dcn_rtdc_fixture PUBLIC dcn_io hdf5::hdf5)
dcn_target_warnings(dcn_rtdc_fixture)
dcn_add_test(test_rtdc_read SOURCES unit/test_rtdc_read.c
    LIBS dcn_io dcn_rtdc_fixture dcn_testsupport LABELS io)
dcn_add_test(test_rtdc_read_bad SOURCES unit/test_rtdc_read_bad.c
    LIBS dcn_io dcn_rtdc_fixture dcn_testsupport LABELS io)
# `dcnumc info`: the command's source is compiled into the test until the
# dispatcher in src/cli/main.c wires it (src/cli/CMakeLists.txt).
dcn_add_test(test_rtdc_info SOURCES unit/test_rtdc_info.c
    ${PROJECT_SOURCE_DIR}/src/cli/cmd_info.c
    LIBS dcn_io dcn_testsupport LABELS io)
target_include_directories(test_rtdc_info PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)
