# Module boundaries, enforced when a file compiles.
#
# The modules depend one way (README, "Layout of the code"):
#
#   common <- kernels <- geo <- inputs, outputs <- engine
#
# and each third-party library belongs to one module: PROJ to geo/, GDAL to
# inputs/, HDF5 to outputs/, libyaml to engine/ (the scenario reader).
# OpenMP is the compute modules': kernels/, and geo/ (snapping runs in
# parallel), never common/ or the file modules (inputs/, outputs/: no GDAL
# or HDF5 call belongs in a parallel region). Linking alone cannot enforce that: headers are included
# from the project root ("kernels/graph.h"), so whoever sees one module's
# headers sees them all, and Debian installs proj.h and yaml.h in
# /usr/include, which every compiler searches.
#
# So each target in a module's folder gets one more include folder, searched
# BEFORE all others: ${PROJECT_BINARY_DIR}/boundaries/<module>/, holding a
# stub for every header the module may not include (those of the modules
# and libraries not in its list below), each an #error naming the rule.
# A forbidden include then fails to compile with a message such as
#
#   kernels/ may not include inputs/roads.h: kernels/ uses common/ and OpenMP
#
# while an allowed include never reaches the folder. The stubs are written
# at configure time (only when their text changes) from the headers in the
# module folders (re-globbed when one is added) and from the installed
# third-party headers; stubs that no longer apply are removed.
# tests/boundaries/ proves it by compiling probes with a module's flags.
#
# The one gap the stubs cannot close is a relative include that climbs out
# of a folder ("../inputs/roads.h"); the include-style test
# (tests/boundaries/include_style.cmake) refuses those.

set(AM_MODULES common kernels geo inputs outputs engine)

# What each module may use besides itself: modules, then libraries.
set(AM_MAY_USE_common "")
set(AM_MAY_USE_kernels common OpenMP)
set(AM_MAY_USE_geo common kernels PROJ OpenMP)
set(AM_MAY_USE_inputs common kernels geo GDAL)
set(AM_MAY_USE_outputs common kernels geo HDF5)
set(AM_MAY_USE_engine common kernels geo inputs outputs GDAL PROJ HDF5
    libyaml OpenMP)

set(AM_LIBRARIES OpenMP PROJ GDAL HDF5 libyaml)

# Header name patterns of each library (globbed in its include folders) and
# the names always stubbed, found or not.
set(AM_LIB_GLOB_OpenMP "omp.h")
set(AM_LIB_NAMES_OpenMP "omp.h")
set(AM_LIB_GLOB_PROJ "proj.h;proj_*.h;geodesic.h")
set(AM_LIB_NAMES_PROJ "proj.h;geodesic.h")
set(AM_LIB_GLOB_GDAL "gdal*.h;ogr*.h;cpl*.h;gnm*.h")
set(AM_LIB_NAMES_GDAL "gdal.h;ogr_api.h;ogr_srs_api.h;cpl_conv.h;cpl_error.h")
set(AM_LIB_GLOB_HDF5 "hdf5*.h;H5*.h")
set(AM_LIB_NAMES_HDF5 "hdf5.h")
set(AM_LIB_GLOB_libyaml "yaml.h")
set(AM_LIB_NAMES_libyaml "yaml.h")

# The include folders of a library, for the glob above.
function(_am_library_include_dirs lib out)
  set(dirs "")
  if(lib STREQUAL "PROJ" AND TARGET PROJ::proj)
    get_target_property(dirs PROJ::proj INTERFACE_INCLUDE_DIRECTORIES)
  elseif(lib STREQUAL "GDAL" AND TARGET GDAL::GDAL)
    get_target_property(dirs GDAL::GDAL INTERFACE_INCLUDE_DIRECTORIES)
  elseif(lib STREQUAL "HDF5")
    set(dirs ${HDF5_INCLUDE_DIRS} ${HDF5_C_INCLUDE_DIRS})
  elseif(lib STREQUAL "libyaml")
    set(dirs ${YAML_INCLUDE_DIRS})
  endif()
  if(NOT dirs)
    set(dirs "")
  endif()
  set(${out} "${dirs}" PARENT_SCOPE)
endfunction()

# The header names of a library (file names, no folder).
function(_am_library_headers lib out)
  _am_library_include_dirs(${lib} dirs)
  set(names ${AM_LIB_NAMES_${lib}})
  foreach(dir IN LISTS dirs)
    if(NOT IS_DIRECTORY "${dir}")
      continue()
    endif()
    foreach(pattern IN LISTS AM_LIB_GLOB_${lib})
      file(GLOB found LIST_DIRECTORIES false "${dir}/${pattern}")
      foreach(path IN LISTS found)
        get_filename_component(name "${path}" NAME)
        list(APPEND names "${name}")
      endforeach()
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES names)
  list(SORT names)
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# "common/ and OpenMP", "nothing else": what a module uses, for messages.
function(_am_uses_text module out)
  set(parts "")
  foreach(use IN LISTS AM_MAY_USE_${module})
    if(use IN_LIST AM_MODULES)
      list(APPEND parts "${use}/")
    else()
      list(APPEND parts "${use}")
    endif()
  endforeach()
  list(LENGTH parts n)
  if(n EQUAL 0)
    set(text "no other module or library")
  elseif(n EQUAL 1)
    set(text "only ${parts}")
  else()
    list(POP_BACK parts last)
    list(JOIN parts ", " text)
    set(text "only ${text} and ${last}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Writes path with content unless it already holds exactly that.
function(_am_write_stub path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${content}")
endfunction()

# Generates ${PROJECT_BINARY_DIR}/boundaries/<module>/ and returns it.
function(am_module_stub_dir module out)
  if(NOT module IN_LIST AM_MODULES)
    message(FATAL_ERROR "am_module_stub_dir: unknown module '${module}'")
  endif()
  set(dir "${PROJECT_BINARY_DIR}/boundaries/${module}")
  _am_uses_text(${module} uses)
  set(hint "(README.md, Layout of the code)")
  set(wanted "")

  foreach(other IN LISTS AM_MODULES)
    if(other STREQUAL module OR other IN_LIST AM_MAY_USE_${module})
      continue()
    endif()
    file(GLOB headers CONFIGURE_DEPENDS LIST_DIRECTORIES false
         "${PROJECT_SOURCE_DIR}/${other}/*.h")
    foreach(path IN LISTS headers)
      get_filename_component(name "${path}" NAME)
      set(rel "${other}/${name}")
      list(APPEND wanted "${rel}")
      _am_write_stub("${dir}/${rel}"
        "/* Generated by cmake/ModuleBoundaries.cmake: ${module}/ may not use ${other}/. */\n#error \"${module}/ may not include ${rel}: ${module}/ uses ${uses} ${hint}\"\n")
    endforeach()
  endforeach()

  foreach(lib IN LISTS AM_LIBRARIES)
    if(lib IN_LIST AM_MAY_USE_${module})
      continue()
    endif()
    _am_library_headers(${lib} names)
    foreach(name IN LISTS names)
      list(APPEND wanted "${name}")
      _am_write_stub("${dir}/${name}"
        "/* Generated by cmake/ModuleBoundaries.cmake: ${module}/ may not use ${lib}. */\n#error \"${module}/ may not include <${name}> (${lib}): ${module}/ uses ${uses} ${hint}\"\n")
    endforeach()
  endforeach()

  # Stubs of an earlier configuration that no longer apply.
  file(GLOB_RECURSE existing LIST_DIRECTORIES false RELATIVE "${dir}"
       "${dir}/*")
  foreach(rel IN LISTS existing)
    if(NOT rel IN_LIST wanted)
      file(REMOVE "${dir}/${rel}")
    endif()
  endforeach()
  file(MAKE_DIRECTORY "${dir}")
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

# Puts the stub folder first in the include path of every target that
# compiles sources in each module folder, present and future: a target the
# folder adds later is covered without anyone remembering to.
function(am_enforce_module_boundaries)
  foreach(module IN LISTS AM_MODULES)
    am_module_stub_dir(${module} stubs)
    get_property(targets DIRECTORY "${PROJECT_SOURCE_DIR}/${module}"
                 PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
        target_include_directories(${target} BEFORE PRIVATE "${stubs}")
      endif()
    endforeach()
  endforeach()
endfunction()
