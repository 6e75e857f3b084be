# golden_structure.cmake: the structure of the demo's results file. Runs the
# CLI on the Comoros demo into WORKDIR, dumps the file with `h5dump -H`
# (every group, dataset and attribute with its type and shape; no dataset
# or attribute values) and compares with the reviewed golden file, so that
# a dataset or attribute added, removed, renamed, retyped or reshaped fails
# the test. The writer's own golden (tests/outputs/golden_h5dump.cmake)
# pins values and storage on a fixture; this one pins the engine's layout.
#
# Values never appear in the dump, so created_utc, threads, the inputs'
# sizes and sha256 stay (fixed-size types) whatever their values. Only the
# string attributes whose LENGTH (STRSIZE, their one value-dependent part
# in a header) varies between machines are masked, by name:
#   command_line                    the invocation (build and temp paths)
#   scenario_file, scenario_path,   where the checkout is
#   roads_path, population_path,
#   facilities_path
#   crs_wkt, spatial_ref            WKT text of the installed GDAL/PROJ
#   accessim_version                the release
# Their names, types and shapes are still compared.
#
# Inputs: ACCESSIM (the CLI), H5DUMP, SCENARIO, WORKDIR, GOLDEN.
# -DUPDATE=1 rewrites GOLDEN (review the diff by eye before committing it).
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
execute_process(COMMAND "${ACCESSIM}" run "${SCENARIO}" -o demo.h5 -q
                WORKING_DIRECTORY "${WORKDIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "accessim run failed (${rc}): ${err}")
endif()
execute_process(COMMAND "${H5DUMP}" -H demo.h5
                WORKING_DIRECTORY "${WORKDIR}"
                OUTPUT_VARIABLE dump ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "h5dump failed: ${err}")
endif()

set(varies "command_line|scenario_file|scenario_path|roads_path|population_path|facilities_path|crs_wkt|spatial_ref|accessim_version")
string(REGEX REPLACE
       "(ATTRIBUTE \"(${varies})\" {\n *DATATYPE  H5T_STRING {\n *STRSIZE )[0-9]+;"
       "\\1<varies>;" dump "${dump}")
file(WRITE "${WORKDIR}/demo.h5dump" "${dump}")

if(UPDATE)
  file(WRITE "${GOLDEN}" "${dump}")
  message(STATUS "rewrote ${GOLDEN}")
  return()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files
                "${GOLDEN}" "${WORKDIR}/demo.h5dump" RESULT_VARIABLE same)
if(NOT same EQUAL 0)
  message(FATAL_ERROR "the demo's output structure differs from the golden "
          "file; compare\n"
          "  diff -u ${GOLDEN} ${WORKDIR}/demo.h5dump\n"
          "and after an intended layout change rerun with -DUPDATE=1 "
          "(docs/hdf5-layout.md, What is tested)")
endif()
