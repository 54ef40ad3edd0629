dcn_add_test(test_slot_register SOURCES unit/test_slot_register.c
    LIBS dcn_core)
add_library(dcn_slot_harness STATIC unit/slot_harness.c)
target_include_directories(dcn_slot_harness PUBLIC
    ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(dcn_slot_harness PUBLIC dcn_core)
dcn_target_warnings(dcn_slot_harness)
dcn_add_test(test_slot_stress SOURCES unit/test_slot_stress.c
    LIBS dcn_slot_harness)
# A short soak in CI; `test_slot_soak 5000000` for a long one.
dcn_add_test(test_slot_soak SOURCES unit/test_slot_soak.c
    LIBS dcn_slot_harness)
