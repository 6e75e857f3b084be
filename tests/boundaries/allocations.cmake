# Every heap allocation of the project's own memory goes through its one
# allocator (common/alloc.h: am_malloc, am_calloc, am_realloc, am_free,
# am_strdup ...), so that a fault-injection build can fail the Nth one and
# a later allocator can replace malloc in one place. This refuses a plain
# malloc(, calloc(, realloc(, strdup( or free( anywhere in the module
# folders except common/alloc.c, and names each file:line.
#
# A call that is to a third-party API by design (memory another library
# hands out and expects back through plain free) may stay, with a marker
# comment on the same line saying whose it is:
#     free(p); /* not ours: libfoo's, freed with free() by its contract */
# GDAL's, PROJ's, HDF5's and libyaml's memory has its own free functions
# (CPLFree, proj_destroy, H5free_memory, yaml_*_delete): no marker needed.
#
#   cmake -DROOT=<source dir> -DMODULES=common,kernels,... -P allocations.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED ROOT OR NOT DEFINED MODULES)
  message(FATAL_ERROR "allocations.cmake: ROOT and MODULES must be set")
endif()
string(REPLACE "," ";" MODULES "${MODULES}")

# The allocator itself.
set(exempt common/alloc.c)
set(call "(^|[^A-Za-z0-9_])(malloc|calloc|realloc|strdup|strndup|free)[ \t]*\\(")
set(bad "")
set(n_files 0)
foreach(module IN LISTS MODULES)
  file(GLOB files LIST_DIRECTORIES false "${ROOT}/${module}/*.c"
       "${ROOT}/${module}/*.h" "${ROOT}/${module}/*.h.in")
  foreach(path IN LISTS files)
    math(EXPR n_files "${n_files} + 1")
    file(RELATIVE_PATH rel "${ROOT}" "${path}")
    if(rel IN_LIST exempt)
      continue()
    endif()
    file(READ "${path}" text)
    if(NOT text MATCHES "${call}")
      continue()
    endif()
    # One list element per line: neutralise what CMake lists treat
    # specially (";" separates, "[" "]" group, "\" escapes).
    string(REPLACE ";" "," text "${text}")
    string(REPLACE "[" "(" text "${text}")
    string(REPLACE "]" ")" text "${text}")
    string(REPLACE "\\" "/" text "${text}")
    string(REPLACE "\n" ";" lines "${text}")
    set(n 0)
    foreach(line IN LISTS lines)
      math(EXPR n "${n} + 1")
      if(line MATCHES "${call}" AND NOT line MATCHES "/\\* not ours:")
        string(STRIP "${line}" line)
        string(APPEND bad "\n  ${rel}:${n}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(n_files EQUAL 0)
  message(FATAL_ERROR "allocations.cmake: no sources under ${ROOT}")
endif()
if(NOT bad STREQUAL "")
  message(FATAL_ERROR "allocate through common/alloc.h (am_malloc, "
                      "am_calloc, am_realloc, am_free, am_strdup), not "
                      "the C library directly:${bad}")
endif()
list(LENGTH exempt n_exempt)
message(STATUS "${n_files} files checked, ${n_exempt} exempt: every "
               "allocation goes through common/alloc.h")
