# mqttspec list on a folder holding a FIFO named *.json, a socket-free symlink
# loop, a second link to a scenario and a valid scenario: it must end (TIMEOUT
# turns a hang into a failure), list the scenario once, exit 0 and say what it
# skipped.  FIFOs cannot be kept in git, so the folder is made here.
#
#   cmake -DMQTTSPEC=path -DWORK=dir -DSCENARIO=file -P check_discovery.cmake
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/sub")
file(COPY_FILE "${SCENARIO}" "${WORK}/sub/one.json")
file(CREATE_LINK "sub/one.json" "${WORK}/again.json" SYMBOLIC)
file(CREATE_LINK "." "${WORK}/loop" SYMBOLIC)
file(CREATE_LINK ".." "${WORK}/sub/up" SYMBOLIC)
execute_process(COMMAND mkfifo "${WORK}/fifo.json" RESULT_VARIABLE made)
if(NOT made EQUAL 0)
  message(FATAL_ERROR "mkfifo failed")
endif()

execute_process(COMMAND "${MQTTSPEC}" list --scenarios "${WORK}"
  TIMEOUT 20
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
message("--- exit ${status}\n--- stdout:\n${out}--- stderr:\n${err}---")
file(REMOVE_RECURSE "${WORK}")

if(NOT status STREQUAL "0")
  message(FATAL_ERROR "exit status ${status}, expected 0 (a hang shows as a timeout)")
endif()
string(REGEX MATCHALL "client-accept-timeout" ids "${out}")
list(LENGTH ids n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "the scenario is listed ${n} times, expected once")
endif()
foreach(note "fifo.json: skipped: not a regular file" "loop: skipped: the same folder as"
             "sub/up: skipped: the same folder as" "skipped: the same file as")
  string(FIND "${err}" "${note}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "no note '${note}'")
  endif()
endforeach()
