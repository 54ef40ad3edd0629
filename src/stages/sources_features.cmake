# State "e": feature extraction (numerics.md §4, §5.1).
target_sources(dcn_stages PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/features_brightness.c
    ${CMAKE_CURRENT_LIST_DIR}/features_frame.c
    ${CMAKE_CURRENT_LIST_DIR}/features_moments.c
    ${CMAKE_CURRENT_LIST_DIR}/features_table.c
    ${CMAKE_CURRENT_LIST_DIR}/features_texture.c
    ${CMAKE_CURRENT_LIST_DIR}/features_volume.c)
