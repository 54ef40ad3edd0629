# Reader half of the .rtdc I/O (issue 3).
dcn_add_test(test_chunk_decode SOURCES unit/test_chunk_decode.c
    LIBS dcn_io dcn_testsupport LABELS io)
add_library(dcn_rtdc_fixture STATIC unit/rtdc_fixture.c)
target_include_directories(dcn_rtdc_fixture PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(dcn_rtdc_fixture PUBLIC dcn_io hdf5::hdf5)
dcn_target_warnings(dcn_rtdc_fixture)
dcn_add_test(test_rtdc_read SOURCES unit/test_rtdc_read.c
    LIBS dcn_io dcn_rtdc_fixture dcn_testsupport Threads::Threads LABELS io)
dcn_add_test(test_rtdc_read_bad SOURCES unit/test_rtdc_read_bad.c
    LIBS dcn_io dcn_rtdc_fixture dcn_testsupport LABELS io)
# `dcnumc info`: the command's source is compiled into the test until the
# dispatcher in src/cli/main.c wires it (src/cli/CMakeLists.txt).
dcn_add_test(test_rtdc_info SOURCES unit/test_rtdc_info.c
    ${PROJECT_SOURCE_DIR}/src/cli/cmd_info.c
    ${PROJECT_SOURCE_DIR}/src/cli/cli_util.c
    LIBS dcn_io dcn_testsupport LABELS io)
target_include_directories(test_rtdc_info PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)

# Fuzz targets (tests/fuzz): corpus replay under any compiler, always
# built and run as ctests; libFuzzer binaries only with DCN_FUZZ=ON and
# clang (cmake --preset fuzz).
set(DCN_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
add_executable(fuzz_replay_chunk_decode ${DCN_FUZZ_DIR}/fuzz_replay.c
    ${DCN_FUZZ_DIR}/fuzz_chunk_decode.c)
target_include_directories(fuzz_replay_chunk_decode PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(fuzz_replay_chunk_decode PRIVATE dcn_io)
dcn_target_warnings(fuzz_replay_chunk_decode)
add_test(NAME fuzz_replay_chunk_decode COMMAND fuzz_replay_chunk_decode
    ${DCN_FUZZ_DIR}/corpus/chunk_decode)
add_executable(fuzz_replay_rtdc_open ${DCN_FUZZ_DIR}/fuzz_replay.c
    ${DCN_FUZZ_DIR}/fuzz_rtdc_open.c)
target_include_directories(fuzz_replay_rtdc_open PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(fuzz_replay_rtdc_open PRIVATE DCN_REPLAY_OPEN)
target_link_libraries(fuzz_replay_rtdc_open PRIVATE dcn_io dcn_rtdc_fixture)
dcn_target_warnings(fuzz_replay_rtdc_open)
add_test(NAME fuzz_replay_rtdc_open COMMAND fuzz_replay_rtdc_open
    ${DCN_FUZZ_DIR}/corpus/rtdc_open)
set_tests_properties(fuzz_replay_chunk_decode fuzz_replay_rtdc_open
    PROPERTIES LABELS "io;fuzz")
if(DCN_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
  foreach(t chunk_decode rtdc_open)
    add_executable(fuzz_${t} ${DCN_FUZZ_DIR}/fuzz_${t}.c)
    target_link_libraries(fuzz_${t} PRIVATE dcn_io)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    dcn_target_warnings(fuzz_${t})
  endforeach()
endif()
