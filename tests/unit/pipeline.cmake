dcn_add_test(test_parity SOURCES integration/test_parity.c
    LIBS dcnumc_lib dcn_testsupport)
