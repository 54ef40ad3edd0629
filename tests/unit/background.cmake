# Background stage tests (numerics.md §2, §8.1).
dcn_add_test(test_background_parity SOURCES unit/test_background_parity.c
    LIBS dcn_stages dcn_testsupport)
dcn_add_test(test_background SOURCES unit/test_background.c
    LIBS dcn_stages dcn_testsupport)
