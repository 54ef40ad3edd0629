# Warning flags of style.md rule 48, applied to every target of the project.
set(DCN_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2 -Wundef
    -Wcast-qual -Wpointer-arith)
if(DCN_WERROR)
  list(APPEND DCN_WARNINGS -Werror)
endif()

# dcn_target_warnings(<target>): give a target the project's warnings.
function(dcn_target_warnings target)
  target_compile_options(${target} PRIVATE ${DCN_WARNINGS})
endfunction()
