# Tests of the mqttspec command, included by tests/CMakeLists.txt.
# Each runs the built binary through check_cli.cmake, which checks both the
# exit status (0 ok, 1 finding, 2 usage) and the output.
include_guard(GLOBAL)

set(MQTTSPEC_CLI_TEST_DIR "${CMAKE_CURRENT_LIST_DIR}")

# mqttspec_cli_test(NAME ARGS "..." EXIT n [OUTPUT regex] [REJECT regex] [INPUT file])
function(mqttspec_cli_test name)
  cmake_parse_arguments(PARSE_ARGV 1 T "" "ARGS;EXIT;OUTPUT;REJECT;INPUT" "")
  set(defs -DMQTTSPEC=$<TARGET_FILE:mqttspec> "-DARGS=${T_ARGS}" -DEXPECT_EXIT=${T_EXIT})
  if(DEFINED T_OUTPUT)
    list(APPEND defs "-DEXPECT_OUTPUT=${T_OUTPUT}")
  endif()
  if(DEFINED T_REJECT)
    list(APPEND defs "-DREJECT_OUTPUT=${T_REJECT}")
  endif()
  if(DEFINED T_INPUT)
    list(APPEND defs "-DINPUT=${MQTTSPEC_CLI_TEST_DIR}/data/${T_INPUT}")
  endif()
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} ${defs} -P "${MQTTSPEC_CLI_TEST_DIR}/check_cli.cmake")
  set_tests_properties(${name} PROPERTIES LABELS cli)
endfunction()

# ---- the command itself ----
mqttspec_cli_test(cli_help ARGS "--help" EXIT 0 OUTPUT "usage: mqttspec COMMAND.*decode")
mqttspec_cli_test(cli_version ARGS "--version" EXIT 0 OUTPUT "^mqttspec ${PROJECT_VERSION}\n$")
mqttspec_cli_test(cli_no_command ARGS "" EXIT 2 OUTPUT "usage: mqttspec")
mqttspec_cli_test(cli_unknown_command ARGS "frobnicate" EXIT 2 OUTPUT "unknown command 'frobnicate'")
mqttspec_cli_test(cli_unknown_top_option ARGS "--frob" EXIT 2 OUTPUT "unknown option '--frob'")
mqttspec_cli_test(cli_help_decode ARGS "help decode" EXIT 0 OUTPUT "usage: mqttspec decode")

# ---- decode: the two examples of the brief ----
mqttspec_cli_test(cli_decode_connect
  ARGS "decode 10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00" EXIT 0
  OUTPUT "^ +0  CONNECT \\(p4, c1, k60, id '', u0, p0\\)\n$")
mqttspec_cli_test(cli_decode_publish_wildcard
  ARGS "decode 30 05 00 03 61 2b 62" EXIT 1
  OUTPUT "malformed PUBLISH at offset 0: 3\\.1\\.1:MQTT-3\\.3\\.2-2 at offset 2[ :(]")

# ---- decode: input forms ----
mqttspec_cli_test(cli_decode_unspaced_hex
  ARGS "decode 100c00044d5154540402003c0000" EXIT 0 OUTPUT "CONNECT \\(p4, c1, k60")
mqttspec_cli_test(cli_decode_0x_prefix
  ARGS "decode 0xc000 0xe0 0x00" EXIT 0 OUTPUT "^ +0  PINGREQ\n +2  DISCONNECT\n$")
mqttspec_cli_test(cli_decode_stdin_session INPUT session311.hex
  ARGS "decode" EXIT 0
  OUTPUT "^ +0  CONNECT \\(p4, c1, k60, id 'mqttspec-client', u0, p0\\)\n +29  SUBSCRIBE \\(m1, 'a/\\+' q1\\)\n +39  PUBLISH \\(d0, q1, r0, m2, 'a/b', \\.\\.\\. \\(2 bytes\\)\\)\n +50  PINGREQ\n +52  DISCONNECT\n$")
mqttspec_cli_test(cli_decode_connect_sets_v5 INPUT session5.hex
  ARGS "decode" EXIT 0
  OUTPUT "CONNECT \\(p5, c1, k30, \\[session_expiry_interval=60\\], id 'c5', u0, p0\\)\n +22  PUBLISH \\(d0, q0, r0, m0, 'a/b', \\[topic_alias=5\\], \\.\\.\\. \\(1 byte\\)\\)\n +34  DISCONNECT \\(rc4 \\(Disconnect with Will Message\\)\\)\n$")
mqttspec_cli_test(cli_decode_file_client_role
  ARGS "decode --file ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin" EXIT 0
  OUTPUT "^ +0  CONNACK \\(sp0, rc0\\)\n +4  SUBACK \\(m9, 1\\)\n$")
mqttspec_cli_test(cli_decode_v5_option
  ARGS "decode -V 5.0 e0 02 8e 00" EXIT 1 OUTPUT "5\\.0:MQTT-3\\.14\\.2-1")
mqttspec_cli_test(cli_decode_v5_option_client
  ARGS "decode -V 5.0 --role client e0 02 8e 00" EXIT 0 OUTPUT "DISCONNECT \\(rc142 \\(Session taken over\\)\\)")

# ---- decode: findings (exit 1) ----
mqttspec_cli_test(cli_decode_error_in_second_packet
  ARGS "decode c0 00 30 05 00 03 61 2b 62" EXIT 1
  OUTPUT "^ +0  PINGREQ\nerror: malformed PUBLISH at offset 2: 3\\.1\\.1:MQTT-3\\.3\\.2-2 at offset 4")
mqttspec_cli_test(cli_decode_truncated
  ARGS "decode 30 05 00 03 61" EXIT 1 OUTPUT "truncated packet at offset 0: need 2 more bytes")
mqttspec_cli_test(cli_decode_truncated_header
  ARGS "decode c0 00 30" EXIT 1 OUTPUT "truncated packet at offset 2")
mqttspec_cli_test(cli_decode_connack_as_server
  ARGS "decode --role server 20 02 00 00" EXIT 1 OUTPUT "malformed CONNACK at offset 0")

# ---- decode: usage errors (exit 2) ----
mqttspec_cli_test(cli_decode_bad_hex ARGS "decode 10 zz" EXIT 2 OUTPUT "bad hex" REJECT "CONNECT|error:")
mqttspec_cli_test(cli_decode_odd_hex ARGS "decode 100" EXIT 2 OUTPUT "odd number of hex digits")
mqttspec_cli_test(cli_decode_unknown_option ARGS "decode --bogus c0 00" EXIT 2 OUTPUT "unknown option")
mqttspec_cli_test(cli_decode_bad_version ARGS "decode -V 4.0 c0 00" EXIT 2 OUTPUT "unknown MQTT version")
mqttspec_cli_test(cli_decode_bad_role ARGS "decode --role broker c0 00" EXIT 2 OUTPUT "unknown role")
mqttspec_cli_test(cli_decode_missing_value ARGS "decode -V" EXIT 2 OUTPUT "needs a value")
mqttspec_cli_test(cli_decode_file_and_hex
  ARGS "decode --file ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin c0 00" EXIT 2 OUTPUT "not both")
mqttspec_cli_test(cli_decode_missing_file ARGS "decode --file /nonexistent/x.bin" EXIT 2 OUTPUT "cannot open")

# ---- list shows the role; sim --scenario plays server-role scenarios (testing MQTT clients) ----
mqttspec_cli_test(cli_list_role
  ARGS "list --scenarios ${PROJECT_SOURCE_DIR}/scenarios --id client-connect-first --id connect-accepted" EXIT 0
  OUTPUT "client-connect-first +3\\.1\\.1,5\\.0 +server .*\nconnect-accepted +3\\.1\\.1,5\\.0 +client ")
mqttspec_cli_test(cli_run_skips_server_role
  ARGS "run -q --scenarios ${PROJECT_SOURCE_DIR}/scenarios/client-tests" EXIT 0 OUTPUT "^0 cases in")
mqttspec_cli_test(cli_sim_scenario_no_client
  ARGS "sim --listen mqtt://127.0.0.1:0 --scenario ${MQTTSPEC_CLI_TEST_DIR}/data/server-accept-timeout.json --json /dev/null"
  EXIT 1
  OUTPUT "listening on mqtt://127\\.0\\.0\\.1:0 port [1-9][0-9]*\n.*ERROR client-accept-timeout \\(unknown\\).*no client connected within 100 ms")
mqttspec_cli_test(cli_sim_scenario_needs_listen
  ARGS "sim --scenario ${PROJECT_SOURCE_DIR}/scenarios/client-tests" EXIT 2 OUTPUT "needs exactly one --listen")
mqttspec_cli_test(cli_sim_scenario_broker_option
  ARGS "sim --listen mqtt://127.0.0.1:0 --server-keep-alive 5 --scenario ${PROJECT_SOURCE_DIR}/scenarios/client-tests"
  EXIT 2 OUTPUT "--server-keep-alive is a broker-sim option")
mqttspec_cli_test(cli_sim_scenario_none_selected
  ARGS "sim --listen mqtt://127.0.0.1:0 --scenario ${PROJECT_SOURCE_DIR}/scenarios/connect" EXIT 2
  OUTPUT "no server-role scenario selected")
mqttspec_cli_test(cli_sim_scenario_bad_id
  ARGS "sim --listen mqtt://127.0.0.1:0 --scenario ${PROJECT_SOURCE_DIR}/scenarios/client-tests --id nothing-like-it"
  EXIT 2 OUTPUT "no server-role scenario selected")
mqttspec_cli_test(cli_sim_scenario_cannot_listen
  ARGS "sim --listen mqtt://192.0.2.1:1883 --scenario ${MQTTSPEC_CLI_TEST_DIR}/data/server-accept-timeout.json"
  EXIT 3 OUTPUT "cannot listen on mqtt://192\\.0\\.2\\.1:1883")
mqttspec_cli_test(cli_sim_report_needs_scenario
  ARGS "sim --listen mqtt://127.0.0.1:0 --json x.json" EXIT 2 OUTPUT "need --scenario")
mqttspec_cli_test(cli_sim_help_scenario ARGS "sim --help" EXIT 0 OUTPUT "--scenario FILE\\|DIR")

# ---- bounds on what a peer can make us hold (docs/robustness.md) ----
mqttspec_cli_test(cli_run_max_packet_size_small
  ARGS "run --max-packet-size 10" EXIT 2 OUTPUT "--max-packet-size needs a number of bytes 64\\.\\.268435460")
mqttspec_cli_test(cli_run_max_packet_size_over_protocol
  ARGS "run --max-packet-size 268435461" EXIT 2 OUTPUT "--max-packet-size needs a number of bytes")
mqttspec_cli_test(cli_sim_max_queued_zero
  ARGS "sim --listen mqtt://127.0.0.1:0 --max-queued 0" EXIT 2 OUTPUT "bad option '--max-queued'")
mqttspec_cli_test(cli_sim_help_bounds ARGS "sim --help" EXIT 0 OUTPUT "--max-queued N.*--max-queued-bytes N")
