# Segmentation, labeling and label processing: ns/frame per stage on the
# 80x250 frames of synth-1000 (reads ../shared/data; never fails).
add_executable(bench_segment ${CMAKE_CURRENT_LIST_DIR}/bench_segment.c)
target_link_libraries(bench_segment PRIVATE dcn_stages dcn_testsupport)
dcn_target_warnings(bench_segment)
