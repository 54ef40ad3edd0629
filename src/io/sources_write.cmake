# Writer half of dcn_io: chunk encoder, .rtdc writer (one file per part
# of the format, see rtdc_write.c) and the reusable string buffer / JSON
# writer.
target_sources(dcn_io PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/chunk_encode.c
    ${CMAKE_CURRENT_LIST_DIR}/json_write.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write_basins.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write_chunks.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write_copy.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write_events.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write_logs.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write_meta.c
    ${CMAKE_CURRENT_LIST_DIR}/strbuf.c)
