# Run the mqttspec command once and check its exit status and output.
# ctest's PASS_REGULAR_EXPRESSION ignores the exit status, and WILL_FAIL
# cannot tell 1 (a finding) from 2 (a usage error), so both are checked here.
#
#   cmake -DMQTTSPEC=path -DARGS="decode 10 00" [-DINPUT=file]
#         -DEXPECT_EXIT=0 [-DEXPECT_OUTPUT=regex] [-DREJECT_OUTPUT=regex] -P check_cli.cmake
#
# ARGS is split like a shell command line; stdout and stderr are matched together.
cmake_minimum_required(VERSION 3.25)

foreach(var MQTTSPEC ARGS EXPECT_EXIT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_cli.cmake: ${var} is not set")
  endif()
endforeach()

separate_arguments(args UNIX_COMMAND "${ARGS}")
set(input_option)
if(DEFINED INPUT)
  set(input_option INPUT_FILE "${INPUT}")
endif()

execute_process(COMMAND "${MQTTSPEC}" ${args}
  ${input_option}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)

message("mqttspec ${ARGS}\n--- exit ${status}, output:\n${out}---")

if(NOT "${status}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "exit status ${status}, expected ${EXPECT_EXIT}")
endif()
if(DEFINED EXPECT_OUTPUT AND NOT out MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "output does not match: ${EXPECT_OUTPUT}")
endif()
if(DEFINED REJECT_OUTPUT AND out MATCHES "${REJECT_OUTPUT}")
  message(FATAL_ERROR "output matches what it must not: ${REJECT_OUTPUT}")
endif()
