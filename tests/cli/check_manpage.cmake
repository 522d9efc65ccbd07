# The manual page (docs/mqttspec.1) names every command of 'mqttspec --help'
# and every option of each 'mqttspec COMMAND --help', so the two cannot drift
# apart unnoticed.  The page is written by hand; this only checks coverage.
#
#   cmake -DMQTTSPEC=path -DMANPAGE=docs/mqttspec.1 -P check_manpage.cmake
cmake_minimum_required(VERSION 3.25)

file(READ "${MANPAGE}" page)
string(REPLACE "\\-" "-" page "${page}") # roff's \- is the hyphen of options
string(REGEX REPLACE "\\\\f[BIRP]" "" page "${page}")

function(help_of out)
  execute_process(COMMAND "${MQTTSPEC}" ${ARGN} --help RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE text)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mqttspec ${ARGN} --help exited ${rc}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of(top)
string(REGEX MATCH "commands:\n(.*)\n\n" _ "${top}")
string(REGEX MATCHALL "\n  [a-z]+" commands "\n${CMAKE_MATCH_1}")
set(missing)
foreach(c IN LISTS commands)
  string(STRIP "${c}" c)
  if(NOT page MATCHES "\n\\.B ${c}\n")
    list(APPEND missing "command ${c}")
  endif()
  help_of(text ${c})
  string(REGEX REPLACE "[][;]" " " text "${text}") # CMake lists must not hold brackets
  string(REGEX MATCHALL "--[a-z][a-z0-9-]*" longs "${text}")
  string(REGEX MATCHALL "\n +-[a-zA-Z]," shorts "${text}")
  foreach(o IN LISTS longs)
    string(FIND "${page}" "${o}" at)
    if(at EQUAL -1)
      list(APPEND missing "${c} ${o}")
    endif()
  endforeach()
  foreach(o IN LISTS shorts) # as a term: .BR \-j ", " \-\-jobs
    string(REGEX REPLACE "^[^-]*(-[a-zA-Z]).*$" "\\1" o "${o}")
    string(FIND "${page}" "\n.BR ${o} \", \"" at)
    if(at EQUAL -1)
      list(APPEND missing "${c} ${o}")
    endif()
  endforeach()
endforeach()
list(LENGTH commands n)
if(n LESS 5)
  message(FATAL_ERROR "found only ${n} commands in 'mqttspec --help': ${commands}")
endif()
list(REMOVE_DUPLICATES missing)
if(missing)
  message(FATAL_ERROR "not in ${MANPAGE}: ${missing}")
endif()
message("man page covers ${n} commands and their options")
