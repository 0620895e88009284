# Collector unit tests: targets, spool, scheduler/deltas against a local HTTP server
# serving real Go profiles, delivery with a failing sink.
file(GLOB KPROF_COLLECT_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/collect/*_test.cc)
add_executable(kprof_collect_tests ${KPROF_COLLECT_TEST_SOURCES})
target_include_directories(kprof_collect_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(kprof_collect_tests PRIVATE kprof_collect GTest::gtest_main GTest::gmock)
target_compile_definitions(kprof_collect_tests PRIVATE
  KPROF_DEFAULT_TESTDATA_DIR="${KPROF_TESTDATA_DIR}")
gtest_discover_tests(kprof_collect_tests DISCOVERY_TIMEOUT 60
  PROPERTIES FIXTURES_REQUIRED go_profiles TIMEOUT 120)
