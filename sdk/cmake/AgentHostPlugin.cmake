# agenthost_add_plugin(NAME SOURCES src... [OUTPUT_DIRECTORY dir])
#
# Builds an agenthost plugin: a MODULE library named NAME.so, compiled with
# hidden visibility and linked with a version script, so that the one entry
# symbol `ah_plugin_entry_v1` is all it exports.
include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.17)
  message(FATAL_ERROR "agenthost_add_plugin needs CMake 3.17 or newer")
endif()

function(agenthost_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "agenthost_add_plugin(${name}): SOURCES is required")
  endif()
  # The version script sits beside this file, in the source tree and once installed.
  set(map ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/plugin.map)
  add_library(${name} MODULE ${ARG_SOURCES})
  if(TARGET AgentHost::sdk)
    target_link_libraries(${name} PRIVATE AgentHost::sdk)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${map})
  target_compile_features(${name} PRIVATE cxx_std_17)
  target_link_options(${name} PRIVATE
    "LINKER:--version-script=${map}"
    "LINKER:--no-undefined")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
endfunction()
