# Kubernetes client tests: unit tests on fixtures, and tests against the simulator.
file(GLOB KPROF_KUBE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/kube/*_test.cc)
if(KPROF_KUBE_TEST_SOURCES)
  add_executable(kprof_kube_tests ${KPROF_KUBE_TEST_SOURCES})
  target_include_directories(kprof_kube_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(kprof_kube_tests PRIVATE kprof_kube GTest::gtest_main GTest::gmock
    nlohmann_json::nlohmann_json)
  target_compile_definitions(kprof_kube_tests PRIVATE
    KPROF_KUBE_TESTDATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/unit/kube/testdata")
  gtest_discover_tests(kprof_kube_tests DISCOVERY_TIMEOUT 60)
endif()
