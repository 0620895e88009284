# Kubernetes client tests: unit tests on fixtures and scripted servers, and tests against
# the API simulator (test suites named Kubesim*, which need the `kubesim` fixture).
file(GLOB KPROF_KUBE_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/kube/*_test.cc)
if(KPROF_KUBE_TEST_SOURCES)
  add_executable(kprof_kube_tests ${KPROF_KUBE_TEST_SOURCES}
    ${CMAKE_CURRENT_SOURCE_DIR}/unit/net/scripted_server.cc)
  target_include_directories(kprof_kube_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(kprof_kube_tests PRIVATE kprof_kube GTest::gtest_main GTest::gmock
    nlohmann_json::nlohmann_json)
  if(NOT DEFINED KPROF_KUBESIM_DIR)
    set(KPROF_KUBESIM_DIR ${CMAKE_BINARY_DIR}/kubesim)
  endif()
  # KPROF_KUBESIM_DIR in the environment overrides the compiled-in simulator directory.
  target_compile_definitions(kprof_kube_tests PRIVATE
    KPROF_KUBE_TESTDATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/unit/kube/testdata"
    KPROF_DEFAULT_KUBESIM_DIR="${KPROF_KUBESIM_DIR}")
  gtest_discover_tests(kprof_kube_tests DISCOVERY_TIMEOUT 60 TEST_FILTER "-Kubesim*"
    PROPERTIES TIMEOUT 120)
  gtest_discover_tests(kprof_kube_tests DISCOVERY_TIMEOUT 60 TEST_FILTER "Kubesim*"
    PROPERTIES FIXTURES_REQUIRED kubesim TIMEOUT 180)
endif()
