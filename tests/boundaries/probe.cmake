# Compiles a small probe as if it were a file of one module, with exactly
# the command that compiles one of that module's sources (from the build's
# compile_commands.json), and checks the outcome.
#
#   cmake -DCOMPILE_COMMANDS=<build>/compile_commands.json
#         -DSOURCE=<module>/<file>.c   (whose command the probe borrows)
#         -DINCLUDE=inputs/roads.h | <proj.h>   (optional: the include tried)
#         -DEXPECT=<text>              (optional: the compile must fail with it)
#         -DWORK=<folder for the probe> -P probe.cmake
#
# Without EXPECT the probe must compile (the control: the same file minus
# the forbidden include). The probe always includes the header of SOURCE,
# so a control proves the module's own headers still resolve.
foreach(var COMPILE_COMMANDS SOURCE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "probe.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS "${COMPILE_COMMANDS}")
  message(FATAL_ERROR "probe.cmake: no ${COMPILE_COMMANDS} "
                      "(CMAKE_EXPORT_COMPILE_COMMANDS is off?)")
endif()

# The command that compiles SOURCE.
file(READ "${COMPILE_COMMANDS}" json)
string(JSON n LENGTH "${json}")
math(EXPR last "${n} - 1")
set(command "")
foreach(i RANGE ${last})
  string(JSON file GET "${json}" ${i} file)
  if(file MATCHES "/${SOURCE}$")
    string(JSON command GET "${json}" ${i} command)
    string(JSON directory GET "${json}" ${i} directory)
    break()
  endif()
endforeach()
if(command STREQUAL "")
  message(FATAL_ERROR "probe.cmake: ${SOURCE} is not in ${COMPILE_COMMANDS}")
endif()

# Same compiler and flags; the probe instead of the source, no object file.
separate_arguments(args UNIX_COMMAND "${command}")
set(flags "")
set(skip 0)
foreach(arg IN LISTS args)
  if(skip)
    set(skip 0)
  elseif(arg STREQUAL "-o" OR arg STREQUAL "-c")
    set(skip 1)
  else()
    list(APPEND flags "${arg}")
  endif()
endforeach()

# The probe: SOURCE's own header, the include tried, one function.
string(REGEX REPLACE "\\.c$" ".h" own "${SOURCE}")
string(MAKE_C_IDENTIFIER "${SOURCE}_${INCLUDE}" id)
set(text "/* probe: a file of ${SOURCE}'s module */\n#include \"${own}\"\n")
if(DEFINED INCLUDE AND NOT INCLUDE STREQUAL "")
  if(INCLUDE MATCHES "^<")
    string(APPEND text "#include ${INCLUDE}\n")
  else()
    string(APPEND text "#include \"${INCLUDE}\"\n")
  endif()
endif()
string(APPEND text "int am_probe_${id}(void);\nint am_probe_${id}(void)\n{\n    return 0;\n}\n")
file(MAKE_DIRECTORY "${WORK}")
set(probe "${WORK}/${id}.c")
file(WRITE "${probe}" "${text}")

execute_process(COMMAND ${flags} -fsyntax-only "${probe}"
                WORKING_DIRECTORY "${directory}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)

if(DEFINED EXPECT AND NOT EXPECT STREQUAL "")
  if(rc EQUAL 0)
    message(FATAL_ERROR "including ${INCLUDE} in ${SOURCE}'s module "
                        "compiled; it must fail with: ${EXPECT}")
  endif()
  string(FIND "${out}" "${EXPECT}" at)
  if(at LESS 0)
    message(FATAL_ERROR "including ${INCLUDE} in ${SOURCE}'s module failed, "
                        "but not with '${EXPECT}':\n${out}")
  endif()
  message(STATUS "refused as expected: ${EXPECT}")
else()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the control probe for ${SOURCE} "
                        "(${INCLUDE}) does not compile:\n${out}")
  endif()
  message(STATUS "compiles: ${SOURCE} with ${INCLUDE}")
endif()
