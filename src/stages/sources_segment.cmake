# Segmentation, labeling and label processing (numerics.md §3).
target_sources(dcn_stages PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/segment_thresh.c
    ${CMAKE_CURRENT_LIST_DIR}/label.c
    ${CMAKE_CURRENT_LIST_DIR}/label_runs.c
    ${CMAKE_CURRENT_LIST_DIR}/label_process.c)
# dcnum's PyTorch segmenters: metadata, rules, pre- and postprocessing.
target_sources(dcn_stages PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/torch_meta.c
    ${CMAKE_CURRENT_LIST_DIR}/segment_torch.c)
