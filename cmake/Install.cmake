# The library as other programs use it: libaccessim.so (every module, only
# the AM_API symbols of include/accessim.h exported), the one public header,
# a pkg-config file, and the CLI.
#
#   cmake --install build --prefix /usr/local
#   cc prog.c $(pkg-config --cflags --libs accessim)
#
# tests/install/ builds a small program against an installed copy.

set(AM_LIBRARY_MODULES accessim_common accessim_kernels accessim_geo
    accessim_profile accessim_inputs accessim_outputs accessim_scenario
    accessim_engine)
set(AM_LIBRARY_OBJECTS "")
foreach(m IN LISTS AM_LIBRARY_MODULES)
  list(APPEND AM_LIBRARY_OBJECTS $<TARGET_OBJECTS:${m}>)
endforeach()
add_library(accessim_shared SHARED ${AM_LIBRARY_OBJECTS})
target_link_libraries(accessim_shared PRIVATE GDAL::GDAL PROJ::proj HDF5::HDF5
                      ZLIB::ZLIB PkgConfig::YAML OpenMP::OpenMP_C m
                      GLPK::GLPK) # site selection's exact solver (issue 10)
target_include_directories(accessim_shared PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(accessim_shared PROPERTIES
  OUTPUT_NAME accessim
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})

configure_file(cmake/accessim.pc.in ${PROJECT_BINARY_DIR}/accessim.pc @ONLY)

install(TARGETS accessim_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS accessim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/accessim.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/accessim.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
