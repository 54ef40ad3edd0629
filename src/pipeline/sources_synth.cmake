# The synthetic recording generator (`dcnumc synth`): the pure frame
# generator and the threaded writer around src/io/synth_write.c.
target_sources(dcnumc_lib PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/synth.c
    ${CMAKE_CURRENT_LIST_DIR}/synth_run.c)
