# Background benchmarks (print numbers, never fail).
add_executable(bench_background bench_background.c)
target_link_libraries(bench_background PRIVATE dcn_stages)
dcn_target_warnings(bench_background)
