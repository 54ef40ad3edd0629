# Reader half of the .rtdc I/O (issue 3): chunk decoder, basin JSON, reader
# (one file per part of the format, see rtdc_read.c), dcnumc info.
target_sources(dcn_io PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/chunk_decode.c
    ${CMAKE_CURRENT_LIST_DIR}/dcnm_read.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_json.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_read.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_read_basins.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_read_chunks.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_read_events.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_read_logs.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_read_meta.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_info.c)
