# The PyTorch segmenters (issue 10).  A fixture unzips dcnum's test
# models and images from ../shared/data/torch into the build tree.
set(DCN_TORCH_TESTDIR ${CMAKE_CURRENT_BINARY_DIR}/torch-data)
set(DCN_TORCH_ZIPS
    segm-torch-model_unet-dcnum-test_g1_910c2.zip
    segm-torch-model_unet-dcnum-test_g2_17ec6.zip
    segm-torch-model_unet-dcnum-test_g1_cb45f.zip
    segm-torch-model_unet-dcnum-test_g2_02dcd.zip
    segm-torch-test-data_unet-dcnum-test_g1_910c2.zip)
set(unzip_cmds "")
foreach(z ${DCN_TORCH_ZIPS})
  string(APPEND unzip_cmds
      "execute_process(COMMAND \${CMAKE_COMMAND} -E tar xf "
      "${DCN_SHARED_DATA}/torch/${z} WORKING_DIRECTORY ${DCN_TORCH_TESTDIR} "
      "COMMAND_ERROR_IS_FATAL ANY)\n")
endforeach()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/torch_unzip.cmake
    "file(REMOVE_RECURSE ${DCN_TORCH_TESTDIR})\n"
    "file(MAKE_DIRECTORY ${DCN_TORCH_TESTDIR})\n${unzip_cmds}")
add_test(NAME torch_data_unzip
    COMMAND ${CMAKE_COMMAND} -P ${CMAKE_CURRENT_BINARY_DIR}/torch_unzip.cmake)
set_tests_properties(torch_data_unzip PROPERTIES FIXTURES_SETUP torch_data)

# dcn_add_torch_test(<name> ...): a dcn_add_test that needs the data.
macro(dcn_torch_test_env name)
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED torch_data
      ENVIRONMENT "DCN_SHARED_DATA=${DCN_SHARED_DATA};DCN_TORCH_TESTDIR=${DCN_TORCH_TESTDIR}")
endmacro()

# Metadata and applicability rules: pure C, in every build.
dcn_add_test(test_torch_meta SOURCES unit/test_torch_meta.c LIBS dcn_stages)

if(DCN_TORCH)
  find_package(PNG REQUIRED)
  dcn_add_test(test_torch_segment SOURCES unit/test_torch_segment.c
      LIBS dcn_stages dcn_torch dcn_testsupport PNG::PNG)
  dcn_torch_test_env(test_torch_segment)
endif()

# The commands end to end (the stub's message without libtorch).
if(DCN_TORCH)
  set(dcn_torch_built 1)
else()
  set(dcn_torch_built 0)
endif()
add_test(NAME test_torch_cli COMMAND bash
    ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_torch_cli.sh
    $<TARGET_FILE:dcnumc> ${DCN_SHARED_DATA} ${DCN_TORCH_TESTDIR}
    ${dcn_torch_built})
set_tests_properties(test_torch_cli PROPERTIES FIXTURES_REQUIRED torch_data)
