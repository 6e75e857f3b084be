# gdal_check.cmake: what a GIS user sees. Writes the fixture (fixture.h) in
# three CRSs and checks, through GDAL's netCDF driver, every raster's CRS
# (EPSG code), extent (corner coordinates), size, nodata value and pixel
# values, including GDAL pixel (0, 0) == data[0] (row 0 = north).
#
# Inputs: FIXTURE, GDALINFO, GDALLOCATIONINFO, WORKDIR.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
set(NX 5)
set(NY 4)
set(FAILURES 0)

macro(fail msg)
  message(SEND_ERROR "${msg}")
  math(EXPR FAILURES "${FAILURES} + 1")
endmacro()

# expected(var cell out): the fixture's value of cell (see fixture.c)
function(expected var cell out)
  if(cell EQUAL 6)
    if(var MATCHES "nearest_facility")
      set(v -2)
    else()
      set(v -9999)
    endif()
  elseif(cell EQUAL 7 AND var MATCHES "nearest_")
    set(v -1)
  elseif(var STREQUAL "population")
    set(v ${cell})
  elseif(var MATCHES "nearest_time_min")
    math(EXPR twice "${cell} * 5")             # 0.5 * cell, as text
    math(EXPR ip "${twice} / 10")
    math(EXPR fp "${twice} % 10")
    set(v "${ip}.${fp}")
  elseif(var MATCHES "nearest_facility")
    math(EXPR v "${cell} % 3")
  else()                                      # accessibility: 0.25 * cell
    math(EXPR q "${cell} * 25")
    math(EXPR ip "${q} / 100")
    math(EXPR fp "${q} % 100")
    if(fp LESS 10)
      set(fp "0${fp}")
    endif()
    set(v "${ip}.${fp}")
  endif()
  set(${out} ${v} PARENT_SCOPE)
endfunction()

function(check_case kind epsg x0 dx y0 dy)
  set(f "${WORKDIR}/${kind}.h5")
  execute_process(COMMAND "${FIXTURE}" "${f}" ${kind}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("${kind}: fixture failed: ${err}")
    return()
  endif()
  foreach(var population
              /results/health/nearest_time_min
              /results/health/nearest_facility
              /results/health/accessibility_2sfca_30min)
    set(sub "NETCDF:\"${f}\":${var}")
    set(where "${kind} ${var}")
    execute_process(COMMAND "${GDALINFO}" -json "${sub}"
                    OUTPUT_VARIABLE js ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
      fail("${where}: gdalinfo rc=${rc}: ${err}")
      continue()
    endif()
    string(JSON drv GET "${js}" driverShortName)
    string(JSON sx GET "${js}" size 0)
    string(JSON sy GET "${js}" size 1)
    string(JSON got_epsg ERROR_VARIABLE jerr GET "${js}" stac proj:epsg)
    string(JSON ulx GET "${js}" cornerCoordinates upperLeft 0)
    string(JSON uly GET "${js}" cornerCoordinates upperLeft 1)
    string(JSON lrx GET "${js}" cornerCoordinates lowerRight 0)
    string(JSON lry GET "${js}" cornerCoordinates lowerRight 1)
    string(JSON nodata ERROR_VARIABLE jerr2 GET "${js}" bands 0 noDataValue)
    if(NOT drv STREQUAL "netCDF")
      fail("${where}: opened by ${drv}, not netCDF")
    endif()
    if(NOT sx EQUAL NX OR NOT sy EQUAL NY)
      fail("${where}: size ${sx}x${sy}, want ${NX}x${NY}")
    endif()
    if(NOT got_epsg STREQUAL "${epsg}")
      fail("${where}: EPSG '${got_epsg}' (${jerr}), want ${epsg}")
    endif()
    foreach(pair "ulx;${x0}" "uly;${y0}")
      list(GET pair 0 name)
      list(GET pair 1 want)
      if(NOT ${name} EQUAL want)
        fail("${where}: ${name} = ${${name}}, want ${want}")
      endif()
    endforeach()
    if(NOT lrx EQUAL ${LR_X_${kind}} OR NOT lry EQUAL ${LR_Y_${kind}})
      fail("${where}: lower right (${lrx}, ${lry}), want "
           "(${LR_X_${kind}}, ${LR_Y_${kind}})")
    endif()
    if(var MATCHES "nearest_facility")
      set(want_nodata -2)
    else()
      set(want_nodata -9999)
    endif()
    if(NOT nodata EQUAL want_nodata)
      fail("${where}: nodata '${nodata}' (${jerr2}), want ${want_nodata}")
    endif()
    # pixels: corners, the nodata cell (6), the unreachable cell (7); one
    # gdallocationinfo run reads all "col row" pairs from stdin
    execute_process(COMMAND "${GDALLOCATIONINFO}" -valonly "${sub}"
                    INPUT_FILE "${WORKDIR}/pixels.txt"
                    OUTPUT_VARIABLE got_all RESULT_VARIABLE rc)
    string(REGEX REPLACE "\n$" "" got_all "${got_all}")
    string(REPLACE "\n" ";" got_all "${got_all}")
    set(i 0)
    foreach(cr ${PIXELS})
      string(REPLACE " " ";" cr "${cr}")
      list(GET cr 0 col)
      list(GET cr 1 row)
      math(EXPR cell "${row} * ${NX} + ${col}")
      expected(${var} ${cell} want)
      list(LENGTH got_all n_got)
      set(got "")
      if(i LESS n_got)
        list(GET got_all ${i} got)
      endif()
      if(NOT rc EQUAL 0 OR NOT got EQUAL want)
        fail("${where}: pixel (${col}, ${row}) = '${got}', want ${want}")
      endif()
      math(EXPR i "${i} + 1")
    endforeach()
  endforeach()
  set(FAILURES ${FAILURES} PARENT_SCOPE)
endfunction()

set(PIXELS "0 0" "4 0" "0 1" "1 1" "2 1" "3 2" "4 3")
string(REPLACE ";" "\n" pixel_lines "${PIXELS}")
file(WRITE "${WORKDIR}/pixels.txt" "${pixel_lines}\n")

# lower-right corners, precomputed (CMake has no float arithmetic)
set(LR_X_geographic 25.75)   # 24.5 + 5 * 0.25
set(LR_Y_geographic 59)      # 61 - 4 * 0.5
set(LR_X_gk25 25491250)      # 25490000 + 5 * 250
set(LR_Y_gk25 6674000)       # 6675000 - 4 * 250
set(LR_X_utm38s 500500)
set(LR_Y_utm38s 7999600)

check_case(geographic 4326 24.5 0.25 61 -0.5)
check_case(gk25 3879 25490000 250 6675000 -250)
check_case(utm38s 32738 500000 100 8000000 -100)

# A sparse raster: the chunks that hold only the fill value are not stored
# (fixture_write_sparse); GDAL must read them as nodata, and the stored
# corner values as written.
set(f "${WORKDIR}/sparse.h5")
execute_process(COMMAND "${FIXTURE}" "${f}" sparse
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("sparse: fixture failed: ${err}")
else()
  file(WRITE "${WORKDIR}/sparse_pixels.txt" "0 0\n300 10\n10 290\n599 299\n")
  foreach(case "/sparse/time;1.5;-9999;-9999;2.5"
               "/sparse/facility;7;-2;-2;9")
    list(POP_FRONT case var)
    execute_process(COMMAND "${GDALLOCATIONINFO}" -valonly
                            "NETCDF:\"${f}\":${var}"
                    INPUT_FILE "${WORKDIR}/sparse_pixels.txt"
                    OUTPUT_VARIABLE got RESULT_VARIABLE rc ERROR_VARIABLE err)
    string(REGEX REPLACE "\n$" "" got "${got}")
    string(REPLACE "\n" ";" got "${got}")
    if(NOT rc EQUAL 0 OR NOT got STREQUAL "${case}")
      fail("sparse ${var}: pixels '${got}' (${err}), want '${case}'")
    endif()
  endforeach()
endif()

if(FAILURES GREATER 0)
  message(FATAL_ERROR "${FAILURES} GDAL check(s) failed")
endif()
message(STATUS "GDAL reads all fixture rasters with the right CRS, extent, "
               "nodata and values")
