# State "e": feature extraction.
dcn_add_test(test_features_shapes SOURCES unit/test_features_shapes.c
    LIBS dcn_stages dcn_testsupport)
