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

# End to end on the Kubernetes API simulator: agent, server --kubeconfig, kubectl plugin.
add_executable(kprof_agent_tests integration/process.cc integration/agent_test.cc)
target_include_directories(kprof_agent_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(kprof_agent_tests PRIVATE GTest::gtest_main nlohmann_json::nlohmann_json)
add_dependencies(kprof_agent_tests kprof)
target_compile_definitions(kprof_agent_tests PRIVATE
  KPROF_DEFAULT_BIN="$<TARGET_FILE:kprof>" KPROF_DEFAULT_KUBESIM_DIR="${CMAKE_BINARY_DIR}/kubesim")
gtest_discover_tests(kprof_agent_tests DISCOVERY_TIMEOUT 60
  PROPERTIES FIXTURES_REQUIRED "kubesim;go_profiles" TIMEOUT 180)
