# Segmentation, labeling and label processing (numerics.md §3, §8.1).
dcn_add_test(test_segment SOURCES unit/test_segment.c
    LIBS dcn_stages dcn_testsupport)
dcn_add_test(test_segment_parity SOURCES unit/test_segment_parity.c
    LIBS dcn_stages dcn_testsupport)
