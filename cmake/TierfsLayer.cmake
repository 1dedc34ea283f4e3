# tierfs_layer(NAME DEPS...): a static library from every .cc in the calling directory
# (and the given sub-directories via SUBDIRS), linked to DEPS. One call per src/<layer>.
function(tierfs_layer name)
  cmake_parse_arguments(L "" "" "SUBDIRS;DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  foreach(sub ${L_SUBDIRS})
    file(GLOB more CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/*.cc)
    list(APPEND srcs ${more})
  endforeach()
  if(srcs)
    add_library(tierfs_${name} STATIC ${srcs})
    target_link_libraries(tierfs_${name} PUBLIC ${L_DEPS})
  else()
    add_library(tierfs_${name} INTERFACE)
    target_link_libraries(tierfs_${name} INTERFACE ${L_DEPS})
  endif()
endfunction()

# tierfs_tests(LAYER DEPS...): one GoogleTest binary from tests/<layer>/*.cc.
function(tierfs_tests layer)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${layer}/*.cc
       ${CMAKE_CURRENT_SOURCE_DIR}/${layer}/*/*.cc)
  if(srcs)
    add_executable(${layer}_test ${srcs})
    target_link_libraries(${layer}_test PRIVATE ${ARGN} GTest::gtest GTest::gtest_main GTest::gmock)
    # A GTEST_SKIP()ped test is reported by ctest as skipped, not as passed.
    gtest_discover_tests(${layer}_test DISCOVERY_TIMEOUT 60
                         PROPERTIES LABELS unit SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
  endif()
endfunction()
