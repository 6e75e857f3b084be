# format, format-check (clang-format) and lint (clang-tidy) targets over the
# project's own C sources.
file(GLOB_RECURSE AM_SOURCES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/common/*.[ch] ${PROJECT_SOURCE_DIR}/kernels/*.[ch]
     ${PROJECT_SOURCE_DIR}/geo/*.[ch] ${PROJECT_SOURCE_DIR}/inputs/*.[ch]
     ${PROJECT_SOURCE_DIR}/outputs/*.[ch] ${PROJECT_SOURCE_DIR}/engine/*.[ch]
     ${PROJECT_SOURCE_DIR}/tests/*.[ch]
     ${PROJECT_SOURCE_DIR}/benchmarks/*.[ch])
find_program(CLANG_FORMAT NAMES clang-format-14 clang-format)
if(CLANG_FORMAT)
  add_custom_target(format COMMAND ${CLANG_FORMAT} -i ${AM_SOURCES}
                    COMMENT "clang-format -i" VERBATIM)
  add_custom_target(format-check
                    COMMAND ${CLANG_FORMAT} --dry-run -Werror ${AM_SOURCES}
                    COMMENT "clang-format --dry-run -Werror" VERBATIM)
endif()
find_program(CLANG_TIDY NAMES clang-tidy-14 clang-tidy)
if(CLANG_TIDY)
  file(GLOB_RECURSE AM_LINT_SOURCES CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/common/*.c ${PROJECT_SOURCE_DIR}/kernels/*.c
       ${PROJECT_SOURCE_DIR}/geo/*.c ${PROJECT_SOURCE_DIR}/inputs/*.c
       ${PROJECT_SOURCE_DIR}/outputs/*.c ${PROJECT_SOURCE_DIR}/engine/*.c)
  add_custom_target(lint COMMAND ${CLANG_TIDY} -p ${PROJECT_BINARY_DIR}
                    --quiet ${AM_LINT_SOURCES}
                    COMMENT "clang-tidy" VERBATIM)
endif()
