# Pod resources: Summary API parsing and rates, the resource store, cgroup and /proc
# readers, the samplers, the /api/v1/resources route, and KubeletSampler against the
# Kubernetes API simulator (suites named Kubesim*, which need the `kubesim` fixture).
# CTest names start with "resources.": `ctest -R '^resources\.'`.
file(GLOB KPROF_RESOURCES_TEST_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/unit/resources/*_test.cc)
add_executable(kprof_resources_tests ${KPROF_RESOURCES_TEST_SOURCES})
target_include_directories(kprof_resources_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(kprof_resources_tests PRIVATE kprof_resources kprof_api GTest::gtest_main
  GTest::gmock nlohmann_json::nlohmann_json)
# The corrupt-value test writes into the store's RocksDB directly.
if(RocksDB_FOUND)
  target_link_libraries(kprof_resources_tests PRIVATE RocksDB::rocksdb)
else()
  target_link_libraries(kprof_resources_tests PRIVATE ${ROCKSDB_LIBRARY})
endif()
target_compile_definitions(kprof_resources_tests PRIVATE
  KPROF_DEFAULT_KUBESIM_DIR="${CMAKE_BINARY_DIR}/kubesim")
gtest_discover_tests(kprof_resources_tests DISCOVERY_TIMEOUT 60 TEST_PREFIX "resources."
  TEST_FILTER "-Kubesim*" PROPERTIES TIMEOUT 120)
gtest_discover_tests(kprof_resources_tests DISCOVERY_TIMEOUT 60 TEST_PREFIX "resources."
  TEST_FILTER "Kubesim*" PROPERTIES FIXTURES_REQUIRED kubesim TIMEOUT 180)
