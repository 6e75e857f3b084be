# The installed library as another program meets it (issue 6): install into
# a scratch prefix, build tests/install/consumer.c with only the installed
# header and pkg-config (as C, and as C++ where a C++ compiler exists: the
# header is extern "C"), run it on the demo, and check that the shared
# library exports exactly the functions the header declares (AM_API).
#
# cmake -DBUILD=... -DSRC=... -DCC=... -DDEMO=... -P install_test.cmake
set(prefix ${BUILD}/install-test)
file(REMOVE_RECURSE ${prefix})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${prefix}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
file(GLOB pcdir LIST_DIRECTORIES true ${prefix}/lib*/pkgconfig)
if(NOT EXISTS ${prefix}/include/accessim.h OR NOT pcdir)
  message(FATAL_ERROR "install lacks the header or the pkg-config file")
endif()
# the .pc names the configured prefix: point pkg-config at the scratch one
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pcdir} pkg-config
          --define-variable=prefix=${prefix} --cflags --libs accessim
  RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not find accessim in ${pcdir}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
string(REGEX MATCH "-L[^ ;]+" libdir "${flags}")
string(SUBSTRING "${libdir}" 2 -1 libdir)
set(exe ${prefix}/consumer)
# a sanitized library needs its runtime in the program too
set(san "")
if(SANITIZE)
  set(san -fsanitize=${SANITIZE})
endif()
execute_process(
  COMMAND ${CC} -std=c17 -Wall -Wextra -Werror ${san}
          ${SRC}/tests/install/consumer.c -o ${exe} ${flags}
          -Wl,-rpath,${libdir}
  RESULT_VARIABLE rc ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer does not build against the install:\n${out}")
endif()
find_program(CXX NAMES c++ g++ clang++)
if(CXX)
  execute_process(
    COMMAND ${CXX} -x c++ -fsyntax-only -Wall -Werror -I${prefix}/include -
    INPUT_FILE ${prefix}/include/accessim.h RESULT_VARIABLE rc
    ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "accessim.h is not valid C++:\n${out}")
  endif()
endif()
# 815397: the demo within 60 min since issue 7 (profiles' tag rules,
# snapping onto road segments, snap.components; was 809362), as
# tests/engine/test_comoros.c
execute_process(COMMAND ${exe} ${DEMO}/comoros.yaml RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "facilities 36 within-last-cutoff 815397")
  message(FATAL_ERROR "consumer run failed (${rc}):\n${out}\n${err}")
endif()
# exported symbols == AM_API declarations of the header
file(READ ${prefix}/include/accessim.h header)
string(REGEX MATCHALL "AM_API[^;(]*[(]" decls "${header}")
set(declared "")
foreach(d IN LISTS decls)
  string(REGEX MATCH "(am_[a-z0-9_]+)[ \n]*[(]$" m "${d}")
  list(APPEND declared ${CMAKE_MATCH_1})
endforeach()
file(GLOB so ${libdir}/libaccessim.so)
execute_process(COMMAND nm -D --defined-only ${so} OUTPUT_VARIABLE nm_out)
string(REGEX MATCHALL "[TDBR] [A-Za-z_][A-Za-z0-9_]*" syms "${nm_out}")
set(exported "")
foreach(s IN LISTS syms)
  string(SUBSTRING "${s}" 2 -1 s)
  list(APPEND exported ${s})
endforeach()
list(SORT declared)
list(SORT exported)
list(REMOVE_ITEM exported _edata _end __bss_start _init _fini)
if(NOT declared STREQUAL exported)
  set(missing ${declared})
  list(REMOVE_ITEM missing ${exported})
  set(extra ${exported})
  list(REMOVE_ITEM extra ${declared})
  message(FATAL_ERROR "exports differ from the header: missing [${missing}] "
                      "extra [${extra}]")
endif()
list(LENGTH declared n)
message(STATUS "installed library: ${n} functions, consumer ran: ${out}")
