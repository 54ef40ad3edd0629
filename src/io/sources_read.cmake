# Reader half of the .rtdc I/O (issue 3): chunk decoder, basin JSON, reader.
target_sources(dcn_io PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/chunk_decode.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_json.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_read.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_info.c)
