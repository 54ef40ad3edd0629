# State "e": feature extraction.
dcn_add_test(test_features_shapes SOURCES unit/test_features_shapes.c
    LIBS dcn_stages dcn_testsupport)
dcn_add_test(test_features_cytoshot SOURCES unit/test_features_cytoshot.c
    LIBS dcn_stages dcn_testsupport)
dcn_add_test(test_features_parity SOURCES unit/test_features_parity.c
    LIBS dcn_stages dcn_testsupport)
dcn_add_test(test_features_frames SOURCES unit/test_features_frames.c
    LIBS dcn_stages dcn_testsupport)
dcn_add_test(test_features_frame_api SOURCES unit/test_features_frame_api.c
    LIBS dcn_stages)
dcn_add_test(test_features_random SOURCES unit/test_features_random.c
    LIBS dcn_stages)
