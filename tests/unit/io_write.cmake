# Tests of the writer half of dcn_io (chunk encoder, writer, JSON).
dcn_add_test(test_json_write SOURCES unit/test_json_write.c
    LIBS dcn_io dcn_testsupport)
dcn_add_test(test_rtdc_write SOURCES unit/test_rtdc_write.c
    LIBS dcn_io dcn_testsupport)
target_compile_definitions(test_rtdc_write PRIVATE
    DCN_TEST_OUT_DIR="${CMAKE_CURRENT_BINARY_DIR}")
set_tests_properties(test_rtdc_write PROPERTIES
    FIXTURES_SETUP io_write_files)

# h5dump (hdf5-tools) through our plugin reads what the writer wrote, with
# properties and data equal to dcnum's own output.
# Not under sanitizers: the plugin is then instrumented and the plain
# h5dump binary cannot dlopen it (undefined symbol __asan_init).
find_program(DCN_H5DUMP h5dump)
if(CMAKE_C_FLAGS MATCHES "-fsanitize")
  message(STATUS "sanitizer build: test_rtdc_write_h5dump not added")
elseif(DCN_H5DUMP)
  add_test(NAME test_rtdc_write_h5dump
      COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/unit/io_write_h5dump.sh
          ${DCN_H5DUMP} ${PROJECT_BINARY_DIR}/plugins
          ${CMAKE_CURRENT_BINARY_DIR}/io_write_roundtrip.rtdc
          ${DCN_SHARED_DATA}/reference/cytoshot-test-data/default/dcnum_output.rtdc)
  set_tests_properties(test_rtdc_write_h5dump PROPERTIES
      FIXTURES_REQUIRED io_write_files)
else()
  message(WARNING "h5dump not found: test_rtdc_write_h5dump not added")
endif()
