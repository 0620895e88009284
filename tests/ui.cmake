# The web UI in a real browser: playwright-core (the build's web/node_modules) driving
# Debian's chromium against the real `kprof server`. Screenshots go to
# ${KPROF_WEB_DIR}/artifacts. Needs KPROF_BUILD_UI (the UI embedded in kprof).
if(KPROF_BUILD_UI)
  set(ui_env "KPROF_BIN=$<TARGET_FILE:kprof>;KPROF_WEB_DIR=${KPROF_WEB_DIR};KPROF_UI_ARTIFACTS=${KPROF_WEB_DIR}/artifacts")
  add_test(NAME ui_rollouts
    COMMAND ${NODE} --test ${CMAKE_CURRENT_SOURCE_DIR}/ui/rollouts.test.mjs)
  set_tests_properties(ui_rollouts PROPERTIES TIMEOUT 120 ENVIRONMENT "${ui_env}")
  add_test(NAME ui_logic
    COMMAND ${NODE} --test ${CMAKE_CURRENT_SOURCE_DIR}/ui/logic.test.mjs)
  set_tests_properties(ui_logic PROPERTIES TIMEOUT 60 ENVIRONMENT "${ui_env}")
  add_test(NAME ui_explore
    COMMAND ${NODE} --test ${CMAKE_CURRENT_SOURCE_DIR}/ui/explore.test.mjs)
  set_tests_properties(ui_explore PROPERTIES FIXTURES_REQUIRED go_profiles TIMEOUT 180
    ENVIRONMENT "${ui_env};KPROF_TESTDATA_DIR=${KPROF_TESTDATA_DIR};HOME=${CMAKE_CURRENT_BINARY_DIR}")
  add_test(NAME ui_rollout_waterfall
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/ui/test_rollout_waterfall.py -v)
  set_tests_properties(ui_rollout_waterfall PROPERTIES FIXTURES_REQUIRED kubesim TIMEOUT 300
    ENVIRONMENT "${ui_env};KPROF_KUBESIM_DIR=${KPROF_KUBESIM_DIR};PYTHONDONTWRITEBYTECODE=1")
endif()
