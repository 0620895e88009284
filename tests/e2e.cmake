# End to end: kprof server collecting from the Kubernetes API simulator, with real
# kubectl, the kubectl-kprof plugin and a real Prometheus. One CTest per test_*.py.
file(GLOB KPROF_E2E_PY_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_*.py)
foreach(test_file ${KPROF_E2E_PY_TESTS})
  get_filename_component(test_name ${test_file} NAME_WE)
  string(REGEX REPLACE "^test_" "" test_name ${test_name})
  add_test(NAME e2e_${test_name} COMMAND /usr/bin/python3 ${test_file} -v)
  set_tests_properties(e2e_${test_name} PROPERTIES FIXTURES_REQUIRED kubesim TIMEOUT 300
    ENVIRONMENT "KPROF_KUBESIM_DIR=${KPROF_KUBESIM_DIR};KPROF_BIN=$<TARGET_FILE:kprof>;PYTHONDONTWRITEBYTECODE=1")
endforeach()
