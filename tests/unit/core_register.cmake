dcn_add_test(test_slot_register SOURCES unit/test_slot_register.c
    LIBS dcn_core)
add_library(dcn_slot_harness STATIC unit/slot_harness.c unit/hang_dump.c)
target_include_directories(dcn_slot_harness PUBLIC
    ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(dcn_slot_harness PUBLIC dcn_core)
dcn_target_warnings(dcn_slot_harness)
dcn_add_test(test_slot_stress SOURCES unit/test_slot_stress.c
    LIBS dcn_slot_harness)
# A short soak in CI; `test_slot_soak 5000000` for a long one.
dcn_add_test(test_slot_soak SOURCES unit/test_slot_soak.c
    LIBS dcn_slot_harness)
# A hang inside a round is reported by the soak's own watchdogs within
# DCN_SOAK_ROUND_SECONDS (300 s); ctest's limit only backs them up.
set_tests_properties(test_slot_soak PROPERTIES TIMEOUT 900)
