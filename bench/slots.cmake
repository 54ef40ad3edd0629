add_executable(bench_slots ${CMAKE_CURRENT_LIST_DIR}/bench_slots.c)
target_link_libraries(bench_slots PRIVATE dcn_core)
dcn_target_warnings(bench_slots)
