# Tests of the "synth" area: the synthetic recording generator.
dcn_add_test(test_synth SOURCES unit/test_synth.c
    LIBS dcnumc_lib dcn_testsupport)
add_test(NAME test_synth_cli
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_synth_cli.sh
            $<TARGET_FILE:dcnumc>)
