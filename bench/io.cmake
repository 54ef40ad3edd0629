# Reader benchmark (issue 3): fetch-only and decode-only frames/s.
add_executable(bench_io_read ${CMAKE_CURRENT_LIST_DIR}/bench_io_read.c)
target_link_libraries(bench_io_read PRIVATE dcn_io)
target_compile_definitions(bench_io_read PRIVATE
    DCN_SHARED_DATA="${DCN_SHARED_DATA}")
dcn_target_warnings(bench_io_read)

# Writer's compression ceiling (issue 6): events/s one core encodes into
# stored chunks; bench_pipeline.sh turns it into a frames/s bound.
add_executable(bench_encode ${CMAKE_CURRENT_LIST_DIR}/bench_encode.c)
target_link_libraries(bench_encode PRIVATE dcn_io)
dcn_target_warnings(bench_encode)
