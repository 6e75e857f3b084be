# golden_h5dump.cmake: the layout snapshot. Writes the geographic fixture,
# dumps it with `h5dump -p -A` (structure, types, attribute values, storage
# properties; no dataset values) and compares with the reviewed golden file.
# Object addresses and compressed sizes depend on the HDF5 and zlib builds
# and are masked.
#
# Inputs: FIXTURE, H5DUMP, WORKDIR, GOLDEN. -DUPDATE=1 rewrites GOLDEN
# (review the diff by eye before committing it).
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
execute_process(COMMAND "${FIXTURE}" fixture.h5 geographic
                WORKING_DIRECTORY "${WORKDIR}"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fixture failed: ${err}")
endif()
execute_process(COMMAND "${H5DUMP}" -p -A fixture.h5
                WORKING_DIRECTORY "${WORKDIR}"
                OUTPUT_VARIABLE dump ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "h5dump failed: ${err}")
endif()
string(REGEX REPLACE "DATASET [0-9]+ \"" "DATASET <addr> \"" dump "${dump}")
string(REGEX REPLACE "SIZE [0-9]+ \\([0-9.]+:1 COMPRESSION\\)"
       "SIZE <n> (<ratio> COMPRESSION)" dump "${dump}")
string(REGEX REPLACE "OFFSET [0-9]+" "OFFSET <addr>" dump "${dump}")
file(WRITE "${WORKDIR}/fixture.h5dump" "${dump}")

if(UPDATE)
  file(WRITE "${GOLDEN}" "${dump}")
  message(STATUS "rewrote ${GOLDEN}")
  return()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files
                "${GOLDEN}" "${WORKDIR}/fixture.h5dump" RESULT_VARIABLE same)
if(NOT same EQUAL 0)
  message(FATAL_ERROR "h5dump differs from the golden file; compare\n"
          "  diff -u ${GOLDEN} ${WORKDIR}/fixture.h5dump")
endif()
