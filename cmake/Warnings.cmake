# Warning flags.  Warnings are errors everywhere.
set(XRPSE_WARNINGS
  -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wundef -Wcast-align -Wvla -Wformat=2 -Wimplicit-fallthrough -fno-common)
# Pure modules (crypto, ledger codec, channel) also refuse silent conversions.
set(XRPSE_PURE_WARNINGS -Wconversion -Wsign-conversion)

# xrpse_module(<target> [PURE]): applies warnings, the root include path and
# the layering lint to a library or executable target.
function(xrpse_module target)
  cmake_parse_arguments(ARG "PURE" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE ${XRPSE_WARNINGS})
  if(ARG_PURE)
    target_compile_options(${target} PRIVATE ${XRPSE_PURE_WARNINGS})
  endif()
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR})
  add_dependencies(${target} layers)
endfunction()
