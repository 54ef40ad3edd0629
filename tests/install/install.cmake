# `cmake --install` into a temporary prefix and a pkg-config client of the
# installed library.  Not under sanitizers: the client is built with the
# system compiler's default flags and cannot load a sanitised library.
if(NOT CMAKE_C_FLAGS MATCHES "-fsanitize")
  add_test(NAME test_install COMMAND bash
      ${CMAKE_CURRENT_SOURCE_DIR}/install/test_install.sh
      ${PROJECT_BINARY_DIR} ${DCN_SHARED_DATA})
endif()
