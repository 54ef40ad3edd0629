# Reader half of the .rtdc I/O (issue 3).
dcn_add_test(test_chunk_decode SOURCES unit/test_chunk_decode.c
    LIBS dcn_io dcn_testsupport LABELS io)
