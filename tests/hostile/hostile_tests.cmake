# Hostile-peer integration tests (tests/hostile/, docs/robustness.md): `mqttspec run` against
# fake_broker.py in each of its modes, fake clients flooding `mqttspec sim`, and a 2 MB message.
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "hostile tests: python3 not found, skipped")
  return()
endif()
foreach(mode silent garbage huge flood close flood-sub sim-flood big)
  string(REPLACE "-" "_" name "hostile_${mode}")
  add_test(NAME ${name}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/hostile_test.py $<TARGET_FILE:mqttspec>
      ${CMAKE_CURRENT_BINARY_DIR}/hostile/${mode} ${mode})
  # Under ASan the RSS bound is the ASan one (hostile_test.py).
  set_tests_properties(${name} PROPERTIES LABELS hostile TIMEOUT 240
    ENVIRONMENT "MQTTSPEC_ASAN=$<IF:$<BOOL:${MQTTSPEC_SANITIZE}>,1,0>")
endforeach()
