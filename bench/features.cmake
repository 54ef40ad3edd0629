# State "e": microseconds per event per feature group on synth-1000.
if(DCN_TESTS)
  add_executable(bench_features ${CMAKE_CURRENT_LIST_DIR}/bench_features.c)
  target_link_libraries(bench_features PRIVATE dcn_stages dcn_testsupport)
  target_include_directories(bench_features PRIVATE
      ${PROJECT_SOURCE_DIR}/tests/unit)
  target_compile_definitions(bench_features PRIVATE
      DCN_SHARED_DATA="${DCN_SHARED_DATA}")
  dcn_target_warnings(bench_features)
endif()
