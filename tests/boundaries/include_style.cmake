# Every project header is included from the project root, as
# "<module>/<name>.h": the form the boundary stubs
# (cmake/ModuleBoundaries.cmake) can intercept. A relative include
# ("../inputs/roads.h", "roads.h") would reach a header through the
# including file's own folder and slip past them, so it is refused here.
#
#   cmake -DROOT=<source dir> -DMODULES=common,kernels,... -P include_style.cmake
if(NOT DEFINED ROOT OR NOT DEFINED MODULES)
  message(FATAL_ERROR "include_style.cmake: ROOT and MODULES must be set")
endif()
string(REPLACE "," ";" MODULES "${MODULES}")
list(JOIN MODULES "|" alternatives)
set(bad "")
set(n_files 0)
foreach(module IN LISTS MODULES)
  file(GLOB files LIST_DIRECTORIES false "${ROOT}/${module}/*.c"
       "${ROOT}/${module}/*.h" "${ROOT}/${module}/*.h.in")
  foreach(path IN LISTS files)
    math(EXPR n_files "${n_files} + 1")
    file(STRINGS "${path}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES "^#include \"(${alternatives})/[A-Za-z0-9_]+\\.h\"")
        file(RELATIVE_PATH rel "${ROOT}" "${path}")
        string(APPEND bad "\n  ${rel}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(n_files EQUAL 0)
  message(FATAL_ERROR "include_style.cmake: no sources under ${ROOT}")
endif()
if(NOT bad STREQUAL "")
  message(FATAL_ERROR "project headers must be included from the root as "
                      "\"<module>/<name>.h\" (cmake/ModuleBoundaries.cmake):"
                      "${bad}")
endif()
message(STATUS "${n_files} files include project headers from the root")
