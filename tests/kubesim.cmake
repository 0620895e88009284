# The Kubernetes API simulator (tests/support/kubesim, Go) and the tests that check it
# against real clients. Owned by the simulator work; see tests/support/kubesim/README.md.
#
# Other tests find the binaries as ${KPROF_KUBESIM_DIR}/kubesim and
# ${KPROF_KUBESIM_DIR}/workload and require the `kubesim` fixture.
set(KPROF_KUBESIM_DIR ${CMAKE_BINARY_DIR}/kubesim)

add_test(NAME kubesim_build
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/support/kubesim/build.sh ${KPROF_KUBESIM_DIR})
set_tests_properties(kubesim_build PROPERTIES FIXTURES_SETUP kubesim TIMEOUT 300
  ENVIRONMENT "GOCACHE=${KPROF_KUBESIM_DIR}/gocache")

# Go unit tests of the simulator's patch/selector/encoding code.
add_test(NAME kubesim_go_unit
  COMMAND /usr/bin/go test -count=1 ./...
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/support/kubesim)
set_tests_properties(kubesim_go_unit PROPERTIES FIXTURES_REQUIRED kubesim TIMEOUT 120
  ENVIRONMENT "GOPROXY=off;GOFLAGS=;CGO_ENABLED=0;GOCACHE=${KPROF_KUBESIM_DIR}/gocache")

# Fidelity tests with real clients (kubectl, python3-kubernetes), one file per area.
file(GLOB KPROF_KUBESIM_PY_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/kubesim/test_*.py)
foreach(test_file ${KPROF_KUBESIM_PY_TESTS})
  get_filename_component(test_name ${test_file} NAME_WE)
  string(REGEX REPLACE "^test_" "" test_name ${test_name})
  add_test(NAME kubesim_${test_name} COMMAND /usr/bin/python3 ${test_file} -v)
  set_tests_properties(kubesim_${test_name} PROPERTIES FIXTURES_REQUIRED kubesim TIMEOUT 180
    ENVIRONMENT "KPROF_KUBESIM_DIR=${KPROF_KUBESIM_DIR};PYTHONDONTWRITEBYTECODE=1")
endforeach()
# Latency bounds under load: keep the scale test away from the other simulators.
if(TEST kubesim_scale)
  set_tests_properties(kubesim_scale PROPERTIES RUN_SERIAL TRUE)
endif()
