# Tests of 'mqttspec coverage' (docs/coverage.md), included by cli_tests.cmake,
# which defines mqttspec_cli_test().  The data under data/coverage/ are small
# scenario sets, justification files and a quirk matrix that make each check fire.
set(cov_data "${MQTTSPEC_CLI_TEST_DIR}/data/coverage")
# The real gate: no broken reference, no drop below ci/coverage-floor.txt (ci/test.sh runs it too).
mqttspec_cli_test(cli_coverage_floor_holds
  ARGS "coverage --check=refs --floor ${PROJECT_SOURCE_DIR}/ci/coverage-floor.txt" EXIT 0
  OUTPUT "3\\.1\\.1: testable [0-9]+/126 covered.*5\\.0: testable [0-9]+/235 covered" REJECT "DROPPED|problem")
mqttspec_cli_test(cli_coverage_text_links
  ARGS "coverage -V 3.1.1" EXIT 0
  OUTPUT "MQTT-3\\.3\\.2-2 +covered[^\n]*\n +scenarios [^\n]*\n +codec +TOPIC_NAME_WILDCARD\n.*\n +quirks +qos2-as-puback.*MQTT-7\\.0\\.0-2 +justified[^\n]*\n +reason +A conformance clause"
  REJECT "5\\.0: testable")
mqttspec_cli_test(cli_coverage_md
  ARGS "coverage --format md -V 5.0" EXIT 0
  OUTPUT "## MQTT 5\\.0\n\nWire-testable statements \\(yes or partly\\): \\*\\*[0-9]+ of 235 covered\\*\\*.*\n\\| `MQTT-3\\.3\\.2-2` \\| yes \\| covered \\| [^\n]*`TOPIC_NAME_WILDCARD`"
  REJECT "## MQTT 3\\.1\\.1")
mqttspec_cli_test(cli_coverage_json
  ARGS "coverage --format json --scenarios ${cov_data}/ok" EXIT 0
  OUTPUT "\"format\":[ \t]*\"mqttspec-coverage\".*\"id\":[ \t]*\"MQTT-4\\.6\\.0-4\",[^}]*\"status\":[ \t]*\"covered\",[ \t\n]*\"scenarios\":[ \t]*\\[\"coverage-cites\"\\]")
mqttspec_cli_test(cli_coverage_gaps_only
  ARGS "coverage --gaps --scenarios ${cov_data}/ok -V 3.1.1" EXIT 0
  OUTPUT "MQTT-1\\.5\\.3-3 +NEITHER" REJECT "\nMQTT-[^ ]+ +(covered|justified)")
# --check: every statement covered or justified; the small set leaves gaps of both kinds
mqttspec_cli_test(cli_coverage_check_all
  ARGS "coverage --check --scenarios ${cov_data}/ok" EXIT 1
  OUTPUT "3\\.1\\.1:MQTT-1\\.5\\.3-3 \\(yes\\) is neither.*3\\.1\\.1:MQTT-6\\.0\\.0-3 \\(no\\) is neither.*check failed"
  REJECT "MQTT-4\\.6\\.0-4 |MQTT-7\\.0\\.0-2 |\nMQTT-")
mqttspec_cli_test(cli_coverage_check_testable
  ARGS "coverage --check=testable --scenarios ${cov_data}/ok" EXIT 1
  OUTPUT "\\(yes\\) is neither" REJECT "\\(no\\) is neither")
mqttspec_cli_test(cli_coverage_bad_scenario_ref
  ARGS "coverage --check=refs --scenarios ${cov_data}/bad-ref" EXIT 1
  OUTPUT "bad-ref\\.json: /steps/1/spec/0: 5\\.0:MQTT-9\\.9\\.9-9 is not in spec/mqtt5_statements\\.tsv")
mqttspec_cli_test(cli_coverage_bad_ref_warns_without_check
  ARGS "coverage --scenarios ${cov_data}/bad-ref -V 5.0" EXIT 0 OUTPUT "warning: [^\n]*MQTT-9\\.9\\.9-9")
mqttspec_cli_test(cli_coverage_untestable_unknown_id
  ARGS "coverage --check=refs --scenarios ${cov_data}/ok --untestable ${cov_data}/unknown-id.tsv" EXIT 1
  OUTPUT "unknown-id\\.tsv:1: 3\\.1\\.1:MQTT-9\\.9\\.9-9 is not in spec/mqtt311_statements\\.tsv")
mqttspec_cli_test(cli_coverage_untestable_testable
  ARGS "coverage --check=refs --scenarios ${cov_data}/ok --untestable ${cov_data}/testable.tsv" EXIT 1
  OUTPUT "testable\\.tsv:1: 5\\.0:MQTT-3\\.3\\.2-2 is wire-testable \\(yes\\): cover it with a scenario instead")
mqttspec_cli_test(cli_coverage_untestable_covered
  ARGS "coverage --check=refs --scenarios ${cov_data}/ok --untestable ${cov_data}/justifies-covered.tsv" EXIT 1
  OUTPUT "justifies-covered\\.tsv: 3\\.1\\.1:MQTT-4\\.6\\.0-4 is covered now: remove its justification")
mqttspec_cli_test(cli_coverage_untestable_malformed
  ARGS "coverage --scenarios ${cov_data}/ok --untestable ${cov_data}/malformed.tsv" EXIT 2
  OUTPUT "malformed\\.tsv:2: expected version, id and reason")
mqttspec_cli_test(cli_coverage_floor_drop
  ARGS "coverage --scenarios ${cov_data}/ok --floor ${PROJECT_SOURCE_DIR}/ci/coverage-floor.txt" EXIT 1
  OUTPUT "5\\.0 floor [0-9]+ covered, [0-9]+ covered\\+justified; now [0-9]+, [0-9]+: DROPPED.*dropped below the floor")
mqttspec_cli_test(cli_coverage_floor_missing_version
  ARGS "coverage --scenarios ${cov_data}/ok --floor ${cov_data}/floor-missing-version.txt" EXIT 2
  OUTPUT "floor-missing-version\\.txt: no floor for 5\\.0")
mqttspec_cli_test(cli_coverage_version_31 ARGS "coverage -V 3.1" EXIT 2 OUTPUT "3\\.1 has no numbered statements")
mqttspec_cli_test(cli_coverage_bad_check ARGS "coverage --check=most" EXIT 2 OUTPUT "use all, testable or refs")
mqttspec_cli_test(cli_coverage_bad_format ARGS "coverage --format html" EXIT 2 OUTPUT "use text, md or json")
mqttspec_cli_test(cli_coverage_out_unwritable
  ARGS "coverage --out /nonexistent-dir/c.md" EXIT 2 OUTPUT "--out /nonexistent-dir/c\\.md: No such file")
# --quirk-matrix: a quirk is linked only where a case of a scenario citing the statement FAILed with it
mqttspec_cli_test(cli_coverage_quirk_matrix_links
  ARGS "coverage -V 3.1.1 --scenarios ${cov_data}/matrix --quirk-matrix ${cov_data}/quirk-matrix.json" EXIT 0
  OUTPUT "MQTT-4\\.3\\.3-2 +covered[^\n]*\n +scenarios coverage-matrix\n +codec +PUBCOMP_PACKET_ID_ZERO\n +quirks +qos2-as-puback\n"
  REJECT "dup-redeliver|pubcomp-missing")
mqttspec_cli_test(cli_coverage_quirk_matrix_other_version
  ARGS "coverage -V 5.0 --scenarios ${cov_data}/matrix --quirk-matrix ${cov_data}/quirk-matrix.json" EXIT 0
  OUTPUT "MQTT-4\\.3\\.3-8 +covered[^\n]*\n +scenarios coverage-matrix\nMQTT-" REJECT "quirks +qos2-as-puback")
mqttspec_cli_test(cli_coverage_quirk_matrix_json
  ARGS "coverage --format json --gaps --scenarios ${cov_data}/matrix --quirk-matrix ${cov_data}/quirk-matrix.json" EXIT 0
  OUTPUT "\"quirks_from\":[ \t]*\"matrix\"")
mqttspec_cli_test(cli_coverage_quirk_matrix_not_one
  ARGS "coverage --quirk-matrix ${cov_data}/ok/cites.json" EXIT 2 OUTPUT "not a quirk matrix")
