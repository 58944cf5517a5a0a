# Shared helpers for choreo targets. Sources are always listed explicitly.

# Warnings we hold every target to.
add_library(choreo_warnings INTERFACE)
target_compile_options(choreo_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
add_library(choreo::warnings ALIAS choreo_warnings)

# choreo_library(<target> [ALIAS <name>] SOURCES <files...> [PUBLIC <targets...>]
#                [PRIVATE <targets...>] [INCLUDE <dirs...>] [PRIVATE_INCLUDE <dirs...>])
# A static library of the project: choreo::<name> as its alias, INCLUDE (default: the
# folder's include/) as its public include directories, and the warnings above.
function(choreo_library target)
  cmake_parse_arguments(L "" "ALIAS" "SOURCES;PUBLIC;PRIVATE;INCLUDE;PRIVATE_INCLUDE" ${ARGN})
  add_library(${target} STATIC ${L_SOURCES})
  if(L_ALIAS)
    add_library(choreo::${L_ALIAS} ALIAS ${target})
  endif()
  if(NOT L_INCLUDE)
    set(L_INCLUDE include)
  endif()
  target_include_directories(${target} PUBLIC ${L_INCLUDE})
  if(L_PRIVATE_INCLUDE)
    target_include_directories(${target} PRIVATE ${L_PRIVATE_INCLUDE})
  endif()
  target_link_libraries(${target} PUBLIC ${L_PUBLIC} PRIVATE ${L_PRIVATE} choreo::warnings)
endfunction()

# choreo_executable(<target> SOURCES <files...> LIBS <targets...>)
# An executable (it lands in build/bin/) linked privately to LIBS, with the warnings above.
function(choreo_executable target)
  cmake_parse_arguments(E "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${target} ${E_SOURCES})
  target_link_libraries(${target} PRIVATE ${E_LIBS} choreo::warnings)
endfunction()

# choreo_test(NAME <name> SOURCES <files...> LIBS <targets...> [LABELS unit|it] [SERIAL] [TIMEOUT s])
# One gtest executable per call, registered with ctest. Integration tests
# (label "it") need the private broker/database that infra/test starts; they
# read their endpoints from CHOREO_TEST_* environment variables.
function(choreo_test)
  cmake_parse_arguments(T "SERIAL" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main choreo::warnings)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME} --gtest_color=no)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
  if(T_SERIAL)
    set_tests_properties(${T_NAME} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()

# choreo_lint_test(NAME <name> COMMAND <program> <args...>)
# A check of a document with a tool its users run (the npm tools of infra/testing/node:
# Redocly CLI, the AsyncAPI parser), label "lint", part of a plain `infra/test`.
# infra/testing/node/with-tools puts them on PATH from $CHOREO_NODE_TOOLS (set by
# infra/test) or that folder, and fails, never skips, when they are not installed.
function(choreo_lint_test)
  cmake_parse_arguments(T "" "NAME" "COMMAND" ${ARGN})
  add_test(NAME ${T_NAME} COMMAND ${PROJECT_SOURCE_DIR}/infra/testing/node/with-tools ${T_COMMAND})
  set_tests_properties(${T_NAME} PROPERTIES LABELS lint TIMEOUT 120)
endfunction()

# choreo_facts_library(COMPONENT <c> SOURCES <files...> [LIBS <private targets...>]
#                      TEST_WITH <the component's own library>)
# What a component's store holds, read from outside (choreo-admin audit) through its
# include/choreo/<c>/facts.hpp: the library choreo::<c>_facts keeps that SQL next to the
# migrations it reads, and <c>_facts_it (tests/facts_it.cpp) runs it against a store those
# migrations built, so a schema change breaks the component's own test, not the audit.
function(choreo_facts_library)
  cmake_parse_arguments(F "" "COMPONENT;TEST_WITH" "SOURCES;LIBS" ${ARGN})
  choreo_library(choreo_${F_COMPONENT}_facts ALIAS ${F_COMPONENT}_facts SOURCES ${F_SOURCES}
    PUBLIC choreo::store PRIVATE ${F_LIBS})
  choreo_test(NAME ${F_COMPONENT}_facts_it SOURCES tests/facts_it.cpp
    LIBS ${F_TEST_WITH} choreo::${F_COMPONENT}_facts choreo::testing LABELS it)
endfunction()
