dcn_add_test(test_slot_register SOURCES unit/test_slot_register.c
    LIBS dcn_core)
dcn_add_test(test_slot_stress SOURCES unit/test_slot_stress.c
    LIBS dcn_core)
