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
mqttspec_cli_test(cli_help_exit_codes ARGS "--help" EXIT 0
  OUTPUT "Exit status:\n +0 .*\n +1 .*\n +2 .*\n +3 .*\n +130/143 ")
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

# ---- decode: issue 9 items 12-15 ----
mqttspec_cli_test(cli_decode_names_the_packet_section
  ARGS "decode 40 03 00 01 00" EXIT 1 OUTPUT "\\(section 3\\.4\\.1\\)" REJECT "3\\.x")
mqttspec_cli_test(cli_decode_v311_return_code_name
  ARGS "decode --role client 90 03 00 09 80" EXIT 0 OUTPUT "128 \\(Failure\\)")
mqttspec_cli_test(cli_decode_v31_connect_by_its_level
  ARGS "decode -V 5.0 14 0f 00 06 4d 51 49 73 64 70 03 01 00 0a 00 01 70" EXIT 0 OUTPUT "CONNECT \\(p3")
mqttspec_cli_test(cli_decode_v31_cites_a_section
  ARGS "decode 10 14 00 06 4d 51 49 73 64 70 03 1e 00 3c 00 01 63 00 01 77 00 00" EXIT 1
  OUTPUT "3\\.1 \\(cf\\. 3\\.1\\.1 [^ ]*3\\.1\\.2\\.6\\)" REJECT "MQTT-")
mqttspec_cli_test(cli_decode_auth_success_from_client
  ARGS "decode -V 5.0 f0 00" EXIT 1 OUTPUT "5\\.0:MQTT-3\\.15\\.2-1.*AUTH_REASON_CODE")
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

# ---- coverage: the traceability report and its checks (own file) ----
include("${CMAKE_CURRENT_LIST_DIR}/coverage_tests.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/chaos_tests.cmake")

# ---- list shows the role; sim --scenario plays server-role scenarios (testing MQTT clients) ----
mqttspec_cli_test(cli_list_role
  ARGS "list --scenarios ${PROJECT_SOURCE_DIR}/scenarios --id client-connect-first --id connect-accepted" EXIT 0
  OUTPUT "client-connect-first +3\\.1\\.1,5\\.0 +server .*\nconnect-accepted +3\\.1\\.1,5\\.0,3\\.1 +client ")
mqttspec_cli_test(cli_run_skips_server_role
  ARGS "run -q --scenarios ${PROJECT_SOURCE_DIR}/scenarios/client-tests" EXIT 2
  OUTPUT "server-role .*mqttspec sim --listen URL --scenario" REJECT "cases in")

# ---- a selection that gives nothing to run says why (exit 2) ----
mqttspec_cli_test(cli_run_tag_matches_nothing
  ARGS "run -q --tag qos-2" EXIT 2 OUTPUT "no scenario matches the selection" REJECT "cases in")
mqttspec_cli_test(cli_run_server_role_id
  ARGS "run -q --id client-connect-first" EXIT 2 OUTPUT "server-role")
mqttspec_cli_test(cli_run_version_without_scenarios
  ARGS "run -q -V 3.1 --id session-311-persistent-qos1" EXIT 2 OUTPUT "protocol version")
mqttspec_cli_test(cli_list_matches_nothing
  ARGS "list --id no-such-scenario" EXIT 2 OUTPUT "no scenario matches")

# ---- SIGINT / SIGTERM: reports still written, unfinished cases NOT RUN, exit 130 / 143 ----
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  add_test(NAME cli_run_interrupt
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/interrupt_run.py $<TARGET_FILE:mqttspec>
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/cli_run_interrupt)
  set_tests_properties(cli_run_interrupt PROPERTIES LABELS cli TIMEOUT 60)
  # A broker that refuses the login: exit 3, one line suggesting -u/-P, nothing run
  add_test(NAME cli_run_login_refused
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/login_refused.py $<TARGET_FILE:mqttspec>
            ${CMAKE_CURRENT_BINARY_DIR}/cli_run_login_refused)
  set_tests_properties(cli_run_login_refused PROPERTIES LABELS cli TIMEOUT 60)
  # A FAIL that a stall of the whole target explains is re-run alone and reported INCONSISTENT
  add_test(NAME cli_run_stall_confirmed
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/stall_confirm.py $<TARGET_FILE:mqttspec>
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/cli_run_stall)
  set_tests_properties(cli_run_stall_confirmed PROPERTIES LABELS cli TIMEOUT 60)
  # A target that dies during the run: that case CRASHED (never PASS), the rest NOT RUN, exit 3
  add_test(NAME cli_run_target_crash
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/target_crash.py $<TARGET_FILE:mqttspec>
            ${CMAKE_CURRENT_BINARY_DIR}/cli_run_target_crash)
  set_tests_properties(cli_run_target_crash PROPERTIES LABELS cli TIMEOUT 120)
  # -u/-P values in no output (traces, every report, console) unless --show-credentials
  add_test(NAME cli_run_credentials_redacted
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/credentials.py $<TARGET_FILE:mqttspec>
            ${CMAKE_CURRENT_BINARY_DIR}/cli_run_credentials)
  set_tests_properties(cli_run_credentials_redacted PROPERTIES LABELS cli TIMEOUT 120)
endif()
mqttspec_cli_test(cli_run_pw_and_pw_file
  ARGS "run -P x --pw-file /dev/null" EXIT 2 OUTPUT "-P and --pw-file")
mqttspec_cli_test(cli_run_pw_file_unreadable
  ARGS "run --pw-file /nonexistent/pw" EXIT 2 OUTPUT "--pw-file /nonexistent/pw: No such file")
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

# ---- probe and pre-flight ----
mqttspec_cli_test(cli_probe_unreachable ARGS "probe mqtt://127.0.0.1:1" EXIT 3 OUTPUT "3\\.1\\.1 unreachable: connect")
mqttspec_cli_test(cli_probe_needs_target ARGS "probe" EXIT 2 OUTPUT "give the target")
mqttspec_cli_test(cli_run_bad_profile ARGS "run --profile /nonexistent/profile.json" EXIT 2
  OUTPUT "--profile /nonexistent/profile.json: cannot read")
mqttspec_cli_test(cli_run_password_needs_user_311 ARGS "run -P secret" EXIT 2 OUTPUT "a password needs a user name")
mqttspec_cli_test(cli_run_password_alone_50 ARGS "run -V 5.0 -P secret --id connect-accepted -q" EXIT 0
  OUTPUT "1 passed, 0 failed")
mqttspec_cli_test(cli_run_credentials_own_connect_flags
  ARGS "run -u user -P secret --id connect-reserved-flag-closed -q" EXIT 0 OUTPUT "2 passed, 0 failed")
# A set-up step that fails (no PUBREC while preparing a PUBREL test) cites the rule it broke, not the headline.
mqttspec_cli_test(cli_run_setup_failure_cites_setup_rule
  ARGS "run --sim-quirk qos2-as-puback --id malformed-pubrel-flags -V 3.1.1 -q" EXIT 1
  OUTPUT "FAIL  malformed-pubrel-flags \\(3\\.1\\.1\\) 3\\.1\\.1:MQTT-4\\.3\\.3-2[:\n]" REJECT "MQTT-2\\.2\\.2")
# ---- usage errors found before the first connection: exit 2, one line ----
set(one_line "^mqttspec[^\n]*\n$")
mqttspec_cli_test(cli_run_same_report_path
  ARGS "run --junit r.out --json r.out" EXIT 2 OUTPUT "--junit and --json both name r\\.out")
mqttspec_cli_test(cli_run_same_report_spelled_twice
  ARGS "run --md ./r.out --trace ${CMAKE_CURRENT_BINARY_DIR}/r.out" EXIT 2 OUTPUT "--md and --trace both name")
mqttspec_cli_test(cli_run_report_unwritable
  ARGS "run --json /nonexistent-dir/r.json" EXIT 2 OUTPUT "${one_line}")
mqttspec_cli_test(cli_run_trace_not_a_folder
  ARGS "run --trace ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin" EXIT 2 OUTPUT "not a folder")
mqttspec_cli_test(cli_run_pcap_not_a_folder
  ARGS "run --pcap ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin" EXIT 2 OUTPUT "--pcap .*not a folder")
mqttspec_cli_test(cli_run_pcap_stdout ARGS "run --pcap -" EXIT 2 OUTPUT "--pcap needs a folder")
mqttspec_cli_test(cli_sim_pcap_needs_scenario
  ARGS "sim --listen mqtt://127.0.0.1:0 --pcap x" EXIT 2 OUTPUT "need --scenario")
mqttspec_cli_test(cli_run_tls_option_plain_target
  ARGS "run --target mqtt://127.0.0.1:1 --cafile ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin" EXIT 2
  OUTPUT "--cafile needs an mqtts:// target")
mqttspec_cli_test(cli_run_tls_option_embedded_sim ARGS "run --insecure" EXIT 2 OUTPUT "--insecure needs an mqtts://")
mqttspec_cli_test(cli_run_cafile_unreadable
  ARGS "run --target mqtts://127.0.0.1:1 --cafile /nonexistent/ca.pem" EXIT 2 OUTPUT "${one_line}")
mqttspec_cli_test(cli_run_port_zero ARGS "run --target mqtt://127.0.0.1:0" EXIT 2 OUTPUT "port 0")
mqttspec_cli_test(cli_run_jobs_bounded ARGS "run -j 65" EXIT 2 OUTPUT "-j needs a number 1\\.\\.64")
mqttspec_cli_test(cli_run_json_stdout
  ARGS "run --id connect-connack-first -V 5 --json -" EXIT 0
  OUTPUT "\"format\":[ \t]*\"mqttspec-report\".*1 passed")
mqttspec_cli_test(cli_run_two_reports_stdout ARGS "run --json - --md -" EXIT 2 OUTPUT "each report needs its own stream")
mqttspec_cli_test(cli_fuzz_out_unwritable
  ARGS "fuzz -d 1 -o ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin/findings" EXIT 2 OUTPUT "${one_line}")
mqttspec_cli_test(cli_fuzz_version_31 ARGS "fuzz -d 1 -V 3.1" EXIT 2 OUTPUT "fuzz speaks 3\\.1\\.1 or 5\\.0")
if(Python3_FOUND)
  add_test(NAME cli_fuzz_closing_target
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/fuzz_closing_target.py $<TARGET_FILE:mqttspec>
            ${CMAKE_CURRENT_BINARY_DIR}/cli_fuzz_closing_target)
  set_tests_properties(cli_fuzz_closing_target PROPERTIES LABELS cli TIMEOUT 90)
endif()

# ---- mosquitto-style flags: -h/-p/-L name the target, -V takes mosquitto's spellings, help is --help ----
mqttspec_cli_test(cli_run_host_port
  ARGS "run -q -h 127.0.0.1 -p 1 --id connect-connack-first" EXIT 3 OUTPUT "target mqtt://127\\.0\\.0\\.1:1 unreachable")
mqttspec_cli_test(cli_run_url_l
  ARGS "run -q -L mqtt://user:pw@127.0.0.1:1/some/topic --id connect-connack-first" EXIT 3
  OUTPUT "target mqtt://127\\.0\\.0\\.1:1 unreachable" REJECT "pw@")
mqttspec_cli_test(cli_run_url_l_and_host ARGS "run -L mqtt://127.0.0.1:1 -h x" EXIT 2 OUTPUT "both name the target")
mqttspec_cli_test(cli_run_help_long_only ARGS "run --help" EXIT 0 OUTPUT "-h, --host HOST")
mqttspec_cli_test(cli_list_version_mqttv311
  ARGS "list -V mqttv311 --id connect-connack-first" EXIT 0 OUTPUT "connect-connack-first +3\\.1\\.1 +client")
mqttspec_cli_test(cli_list_version_5 ARGS "list -V 5 --id connect-connack-first" EXIT 0
  OUTPUT "connect-connack-first +5\\.0 +client")
mqttspec_cli_test(cli_decode_version_mqttv5
  ARGS "decode -V mqttv5 --role client e0 02 8e 00" EXIT 0 OUTPUT "Session taken over")
mqttspec_cli_test(cli_decode_h_is_not_help ARGS "decode -h" EXIT 2 OUTPUT "unknown option")
mqttspec_cli_test(cli_fuzz_host_port
  ARGS "fuzz -d 1 -h 127.0.0.1 -p 1" EXIT 3 OUTPUT "unreachable")

# ---- sim: one listening line with -v, a busy port exits 3, -p opens a listener ----
if(Python3_FOUND)
  add_test(NAME cli_sim_cli
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/sim_cli.py $<TARGET_FILE:mqttspec>
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/cli_sim_cli)
  set_tests_properties(cli_sim_cli PROPERTIES LABELS cli TIMEOUT 60)
endif()

# ---- baselines (docs/baselines.md) ----
mqttspec_cli_test(cli_baseline_regression
  ARGS "run -q -V 3.1.1 --id will-retain-published-retained --sim-quirk no-will --baseline ${MQTTSPEC_CLI_TEST_DIR}/data/empty.baseline"
  EXIT 1 OUTPUT "baseline NEW   will-retain-published-retained@3\\.1\\.1: expected PASS, now FAIL.*0 unchanged, 1 new")
mqttspec_cli_test(cli_baseline_unchanged
  ARGS "run -q --id connect-accepted --baseline ${MQTTSPEC_CLI_TEST_DIR}/data/empty.baseline"
  EXIT 0 OUTPUT "baseline: 3 unchanged, 0 new")
mqttspec_cli_test(cli_baseline_fixed
  ARGS "run -q --id connect-accepted -V 3.1.1 --baseline ${MQTTSPEC_CLI_TEST_DIR}/data/fixed.baseline"
  EXIT 0 OUTPUT "baseline FIXED connect-accepted@3\\.1\\.1: expected WARN\\|FAIL, now PASS")
mqttspec_cli_test(cli_baseline_bad_file
  ARGS "run -q --baseline ${MQTTSPEC_CLI_TEST_DIR}/data/bad.baseline"
  EXIT 2 OUTPUT "bad\\.baseline:1: unknown verdict in \"FAILED\"")
mqttspec_cli_test(cli_baseline_strict_warn
  ARGS "run -q --strict --id client-never-matches-anything-xyz"
  EXIT 2 OUTPUT "")
# ---- scenario files: our mistakes are reported as ours (exit 2, file: /pointer: message) ----
mqttspec_cli_test(cli_scenario_nul_in_string
  ARGS "list --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/nul-in-topic.json" EXIT 2
  OUTPUT "nul-in-topic\\.json: /steps/1/packet/topic: contains U\\+0000 \\(at byte 6\\)")
mqttspec_cli_test(cli_scenario_invalid_utf8
  ARGS "run -q --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/latin1-topic.json" EXIT 2
  OUTPUT "latin1-topic\\.json: /steps/1/packet/topic: is not valid UTF-8 \\(at byte 3\\)"
  REJECT "PASS|FAIL|cases in")
add_test(NAME cli_scenario_discovery_fifo_loop
  COMMAND ${CMAKE_COMMAND} -DMQTTSPEC=$<TARGET_FILE:mqttspec> -DWORK=${CMAKE_CURRENT_BINARY_DIR}/discovery-tree
    -DSCENARIO=${MQTTSPEC_CLI_TEST_DIR}/data/server-accept-timeout.json -P ${MQTTSPEC_CLI_TEST_DIR}/check_discovery.cmake)
set_tests_properties(cli_scenario_discovery_fifo_loop PROPERTIES LABELS cli TIMEOUT 60)

# ---- the manual page covers every command and option of the --help texts ----
add_test(NAME cli_manpage_covers_help
  COMMAND ${CMAKE_COMMAND} -DMQTTSPEC=$<TARGET_FILE:mqttspec> -DMANPAGE=${PROJECT_SOURCE_DIR}/docs/mqttspec.1
    -P ${MQTTSPEC_CLI_TEST_DIR}/check_manpage.cmake)
set_tests_properties(cli_manpage_covers_help PROPERTIES LABELS cli)
mqttspec_cli_test(cli_scenario_nested_too_deeply
  ARGS "list --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/too-deep.json" EXIT 2
  OUTPUT "too-deep\\.json: /: nested too deeply \\(more than 1000 levels\\) at line 2 column 1010")
mqttspec_cli_test(cli_scenario_error_at_own_field
  ARGS "list --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/connect-field-type.json" EXIT 2
  OUTPUT "connect-field-type\\.json: /steps/0/keep_alive: must be an integer 0\\.\\.65535" REJECT "/packet/")
# ---- broker-sim legal variants (ci/variant-matrix.sh) ----
mqttspec_cli_test(cli_sim_list_variants ARGS "sim --list-variants" EXIT 0
  OUTPUT "inflight-1 .*allowed by 3\\.1\\.1:.*max-qos-1 .*lacks: qos2")
mqttspec_cli_test(cli_sim_unknown_variant ARGS "sim --listen mqtt://127.0.0.1:0 --variant nope" EXIT 2
  OUTPUT "unknown variant 'nope'")
mqttspec_cli_test(cli_run_unknown_sim_variant ARGS "run --sim-variant nope" EXIT 2 OUTPUT "unknown variant 'nope'")
mqttspec_cli_test(cli_run_sim_variant_with_target
  ARGS "run --target mqtt://127.0.0.1:1 --sim-variant inflight-1" EXIT 2 OUTPUT "apply to the embedded broker-sim")
# ---- bounds on what a peer can make us hold (docs/robustness.md) ----
mqttspec_cli_test(cli_run_max_packet_size_small
  ARGS "run --max-packet-size 10" EXIT 2 OUTPUT "--max-packet-size needs a number of bytes 64\\.\\.268435460")
mqttspec_cli_test(cli_run_max_packet_size_over_protocol
  ARGS "run --max-packet-size 268435461" EXIT 2 OUTPUT "--max-packet-size needs a number of bytes")
mqttspec_cli_test(cli_sim_max_queued_zero
  ARGS "sim --listen mqtt://127.0.0.1:0 --max-queued 0" EXIT 2 OUTPUT "bad option '--max-queued'")
mqttspec_cli_test(cli_sim_help_bounds ARGS "sim --help" EXIT 0 OUTPUT "--max-queued N.*--max-queued-bytes N")

# ---- issue 11: the statement's text in every FAIL, selection by statement, HTML and the matrix ----
mqttspec_cli_test(cli_run_fail_shows_statement_text
  ARGS "run --sim-quirk qos2-as-puback --id malformed-pubrel-flags -V 3.1.1 -q" EXIT 1
  OUTPUT "FAIL +malformed-pubrel-flags \\(3\\.1\\.1\\) 3\\.1\\.1:MQTT-4\\.3\\.3-2: QoS 2 receiver [^\n]+ \\[4\\.3\\.3 QoS 2\\]\n")
mqttspec_cli_test(cli_list_by_spec_glob
  ARGS "list -V 3.1.1 --spec MQTT-3.10.4-*" EXIT 0
  OUTPUT "unsubscribe-literal-match " REJECT "connect-accepted|malformed-unsubscribe-flags")
mqttspec_cli_test(cli_list_by_qualified_spec_glob
  ARGS "list --spec 5.0:MQTT-3.10.4-* --id unsubscribe-literal-match" EXIT 0 OUTPUT "unsubscribe-literal-match ")
mqttspec_cli_test(cli_list_by_section
  ARGS "list --section 3.10" EXIT 0 OUTPUT "malformed-unsubscribe-flags .*unsubscribe-literal-match "
  REJECT "connect-accepted")
# "3.1" is section 3.1 and its subsections, not 3.10
mqttspec_cli_test(cli_list_section_is_not_a_string_prefix
  ARGS "list --section 3.1 --id unsubscribe-literal-match" EXIT 2 OUTPUT "no scenario matches")
mqttspec_cli_test(cli_run_spec_matches_nothing
  ARGS "run -q --spec MQTT-99.*" EXIT 2 OUTPUT "cites a statement matching --spec/--section" REJECT "cases in")
mqttspec_cli_test(cli_list_tags
  ARGS "list --tags" EXIT 0 OUTPUT "(^|\n)qos2 +[1-9][0-9]*\n" REJECT "connect-accepted")
mqttspec_cli_test(cli_list_spec_statements
  ARGS "list --spec --section 3.10 -V 3.1.1" EXIT 0
  OUTPUT "3\\.1\\.1:MQTT-3\\.10\\.4-1 +unsubscribe-literal-match[^\n]*\n    Unsubscribe filters [^\n]*\\[3\\.10\\.4 Response\\]"
  REJECT "MQTT-3\\.8\\.|5\\.0:")
mqttspec_cli_test(cli_run_tags_is_for_list ARGS "run --tags" EXIT 2 OUTPUT "--tags belongs to 'mqttspec list'")
mqttspec_cli_test(cli_run_html_stdout
  ARGS "run -q --sim-quirk qos2-as-puback --id malformed-pubrel-flags -V 3.1.1 --html -" EXIT 1
  OUTPUT "^<!DOCTYPE html>.*<td data-count=\"FAIL\">1</td>.*malformed-pubrel-flags.*QoS 2 receiver PUBRECs.*</html>\n.*1 cases in")
mqttspec_cli_test(cli_run_html_same_file
  ARGS "run --html r.out --md ./r.out" EXIT 2 OUTPUT "--md and --html both name")
mqttspec_cli_test(cli_report_matrix_md
  ARGS "report --matrix plain=${MQTTSPEC_CLI_TEST_DIR}/data/report-plain.json ${MQTTSPEC_CLI_TEST_DIR}/data/report-quirk.json --md -"
  EXIT 0
  OUTPUT "\\| plain \\| mqtt://127\\.0\\.0\\.1:1883 \\|[^\n]*\\| 2 \\| 0 \\|.*\\| 4\\.3\\.3 QoS 2 \\| qos2-basic \\| 3\\.1\\.1 \\| PASS \\| FAIL \\|\n\\| \\(no section\\) \\| will-basic \\| 5\\.0 \\| PASS \\| - \\|")
mqttspec_cli_test(cli_report_matrix_html
  ARGS "report --matrix ${MQTTSPEC_CLI_TEST_DIR}/data/report-plain.json q=${MQTTSPEC_CLI_TEST_DIR}/data/report-quirk.json --html -"
  EXIT 0
  OUTPUT "<td class=\"cell v-FAIL\"><a href=\"#m-0-1\">FAIL</a>.*<section class=\"mdetail\" id=\"m-0-1\">.*34 07 00 03 61 2f 62 00 07")
mqttspec_cli_test(cli_report_bad_report
  ARGS "report --matrix ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin --md -" EXIT 2 OUTPUT "connack_suback\\.bin: not JSON")
mqttspec_cli_test(cli_report_needs_matrix
  ARGS "report ${MQTTSPEC_CLI_TEST_DIR}/data/report-plain.json --md -" EXIT 2 OUTPUT "give --matrix")
mqttspec_cli_test(cli_report_needs_output
  ARGS "report --matrix ${MQTTSPEC_CLI_TEST_DIR}/data/report-plain.json" EXIT 2 OUTPUT "give --html OUT")
# report --chaos: a saved `mqttspec chaos --json` result as its timeline page (reports/chaos_html.c)
mqttspec_cli_test(cli_report_chaos_html
  ARGS "report --chaos ${MQTTSPEC_CLI_TEST_DIR}/../data/chaos-sample.json --html -" EXIT 0
  OUTPUT "^<!DOCTYPE html>.*<span class=\"v v-FAIL\">FAIL</span>.*<svg class=\"timeline\".*</html>\n$")
mqttspec_cli_test(cli_report_chaos_not_json
  ARGS "report --chaos ${MQTTSPEC_CLI_TEST_DIR}/data/connack_suback.bin --html -" EXIT 2 OUTPUT "connack_suback\\.bin: not JSON")
mqttspec_cli_test(cli_report_chaos_run_report
  ARGS "report --chaos ${MQTTSPEC_CLI_TEST_DIR}/data/report-plain.json --html -" EXIT 2
  OUTPUT "report-plain\\.json: /series: expected an array")
mqttspec_cli_test(cli_report_chaos_html_only
  ARGS "report --chaos ${MQTTSPEC_CLI_TEST_DIR}/../data/chaos-sample.json --md -" EXIT 2
  OUTPUT "--chaos RESULT\\.json takes --html OUT and nothing else")
# A bad member of a send's ws object is pointed at inside it (fuzz_scenario found /steps/1/ws~1frame)
mqttspec_cli_test(cli_scenario_ws_member_pointer ARGS "list --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/ws-bad-frame.json"
  EXIT 2 OUTPUT "ws-bad-frame\\.json: /steps/1/ws/frame: must be \"binary\"")
# ---- mqttspec corpus (seed packets for anyone's parser; docs/fuzzing.md) ----
mqttspec_cli_test(cli_corpus_writes_packets
  ARGS "corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus-out --scenarios ${PROJECT_SOURCE_DIR}/scenarios/qos1"
  EXIT 0 OUTPUT "mqttspec corpus: [1-9][0-9]* scenarios, [0-9]+ packet files written to .*corpus-out \\([0-9]+ packets")
mqttspec_cli_test(cli_corpus_needs_outdir ARGS "corpus" EXIT 2 OUTPUT "give one OUTDIR")
mqttspec_cli_test(cli_corpus_bad_scenario
  ARGS "corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus-bad --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/connect-field-type.json"
  EXIT 2 OUTPUT "connect-field-type\\.json: /steps/0/keep_alive")

# ---- expect with allow_missing (QoS 0 ordering): a gap passes, a packet after a later one fails ----
mqttspec_cli_test(cli_allow_missing_gap_passes
  ARGS "run -q --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/allow-missing-gap.json" EXIT 0)
mqttspec_cli_test(cli_allow_missing_back_fails
  ARGS "run --scenarios ${MQTTSPEC_CLI_TEST_DIR}/data/allow-missing-back.json" EXIT 1
  OUTPUT "in this order, any may be missing")

# --broker-cmd: a broker that exits on a malformed packet, embedded (NOT RUN after) and supervised (restarted)
if(Python3_FOUND)
  add_test(NAME cli_run_supervised
    COMMAND Python3::Interpreter ${MQTTSPEC_CLI_TEST_DIR}/supervised_run.py $<TARGET_FILE:mqttspec>
            ${CMAKE_CURRENT_BINARY_DIR}/cli_run_supervised)
  set_tests_properties(cli_run_supervised PROPERTIES LABELS cli TIMEOUT 120)
endif()
