# Writer half of dcn_io: chunk encoder, .rtdc writer and the reusable
# string buffer / JSON writer.
target_sources(dcn_io PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/chunk_encode.c
    ${CMAKE_CURRENT_LIST_DIR}/json_write.c
    ${CMAKE_CURRENT_LIST_DIR}/rtdc_write.c
    ${CMAKE_CURRENT_LIST_DIR}/strbuf.c)
