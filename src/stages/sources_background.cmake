# Background stage (numerics.md §2): sparsemed, rollmed, bg_off, flicker.
target_sources(dcn_stages PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/background_sparsemed.c
    ${CMAKE_CURRENT_LIST_DIR}/background_median.c
    ${CMAKE_CURRENT_LIST_DIR}/background_rollmed.c
    ${CMAKE_CURRENT_LIST_DIR}/background_flicker.c
    ${CMAKE_CURRENT_LIST_DIR}/background_corr.c)
