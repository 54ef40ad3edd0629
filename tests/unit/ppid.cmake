# Tests of the "ppid" area: identifiers, job options, job log.
dcn_add_test(test_ppid SOURCES unit/test_ppid.c
    LIBS dcnumc_lib dcn_testsupport)
dcn_add_test(test_job SOURCES unit/test_job.c
    LIBS dcnumc_lib dcn_testsupport)
dcn_add_test(test_ppid_reference SOURCES unit/test_ppid_reference.c
    LIBS dcnumc_lib dcn_testsupport)
