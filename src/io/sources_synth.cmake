# HDF5 side of `dcnumc synth`: the raw .rtdc file and its chunk encoder.
target_sources(dcn_io PRIVATE ${CMAKE_CURRENT_LIST_DIR}/synth_write.c)
