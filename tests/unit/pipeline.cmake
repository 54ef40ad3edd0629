dcn_add_test(test_parity SOURCES integration/test_parity.c
    LIBS dcnumc_lib dcn_testsupport)
dcn_add_test(test_determinism SOURCES integration/test_determinism.c
    LIBS dcnumc_lib dcn_testsupport)
add_test(NAME test_cli COMMAND bash
    ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_cli.sh
    $<TARGET_FILE:dcnumc> ${DCN_SHARED_DATA})
