dcn_add_test(test_parity SOURCES integration/test_parity.c
    LIBS dcnumc_lib dcn_testsupport)
dcn_add_test(test_determinism SOURCES integration/test_determinism.c
    LIBS dcnumc_lib dcn_testsupport)
add_test(NAME test_cli COMMAND bash
    ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_cli.sh
    $<TARGET_FILE:dcnumc> ${DCN_SHARED_DATA})
# A file that crashes libhdf5 itself: the commands contain the crash.  Not
# under sanitizers, which catch the crash before the command's supervisor.
if(NOT CMAKE_C_FLAGS MATCHES "-fsanitize")
  add_test(NAME test_damaged_file COMMAND bash
      ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_damaged_file.sh
      $<TARGET_FILE:dcnumc> ${CMAKE_CURRENT_SOURCE_DIR}/data/crashes-libhdf5.bin)
endif()
