# Tests of `mqttspec chaos` (docs/chaos.md), included by cli_tests.cmake (which
# defines mqttspec_cli_test()).  Short runs against the embedded broker-sim:
# usage errors, an unreachable target, the correct sim under faults, a quirk that
# loses acknowledged messages, and credentials kept out of every output.
mqttspec_cli_test(cli_chaos_needs_duration ARGS "chaos" EXIT 2 OUTPUT "chaos needs --duration")
mqttspec_cli_test(cli_chaos_bad_qos ARGS "chaos -d 1 --qos 3" EXIT 2 OUTPUT "--qos needs a list of 0, 1 and 2")
mqttspec_cli_test(cli_chaos_bad_drop_point ARGS "chaos -d 1 --drop-clients sometimes" EXIT 2
  OUTPUT "unknown point 'sometimes'")
mqttspec_cli_test(cli_chaos_restart_alone ARGS "chaos -d 1 --restart-cmd true" EXIT 2
  OUTPUT "--restart-cmd and --restart-every go together")
mqttspec_cli_test(cli_chaos_unreachable ARGS "chaos -d 1 -q -h 127.0.0.1 -p 1" EXIT 3
  OUTPUT "target mqtt://127\\.0\\.0\\.1:1 unreachable")
# The correct sim: proxy cuts and client drops at every point of a flow, persistent sessions: no violation.
mqttspec_cli_test(cli_chaos_sim_faults_pass
  ARGS "chaos -d 2 -q -V 5.0 --persistent --cut-every 200 --drop-clients all --drop-every 300 --seed 3 --json -"
  EXIT 0 OUTPUT "verdict: PASS \\(0 violations\\).*\"verdict\":[ \t]*\"PASS\"")
# QoS 1 messages queued for an offline persistent subscriber dropped: acknowledged and lost.
mqttspec_cli_test(cli_chaos_quirk_lost
  ARGS "chaos -d 2 -q --qos 1 --persistent --drop-clients before-ack --drop-every 200 --seed 3 --sim-quirk drop-offline-qos1"
  EXIT 1 OUTPUT "lost +[1-9][0-9]* +violation +3\\.1\\.1:MQTT-4\\.5\\.0-1.*verdict: FAIL")
mqttspec_cli_test(cli_chaos_credentials_hidden
  ARGS "chaos -d 1 -q -u chaos-user -P chaos-s3cret --json -" EXIT 0 REJECT "chaos-s3cret")
# Shared subscriptions (5.0 4.8.2): not in 3.1.1; the feature missing is SKIP, not a violation; a group's loss is.
mqttspec_cli_test(cli_chaos_shared_needs_50 ARGS "chaos -d 1 --shared-groups 2" EXIT 2
  OUTPUT "--shared-groups needs -V 5\\.0")
mqttspec_cli_test(cli_chaos_shared_members_alone ARGS "chaos -d 1 -V 5.0 --shared-members 3" EXIT 2
  OUTPUT "--shared-members needs --shared-groups")
mqttspec_cli_test(cli_chaos_shared_unsupported
  ARGS "chaos -d 1 -q -V 5.0 --shared-groups 1 --sim-variant no-shared --json -"
  EXIT 0 OUTPUT "shared subscriptions: SKIP, not supported by the target \\(CONNACK Shared Subscription Available 0\\).*\"supported\":[ \t]*false")
mqttspec_cli_test(cli_chaos_shared_quirk_lost
  ARGS "chaos -d 1.5 -q -V 5.0 --subscribers 0 --shared-groups 2 --qos 1 --persistent --seed 3 --sim-quirk chaos-shared-lose"
  EXIT 1 OUTPUT "share-0: [0-9]+ messages \\(sub-0 [0-9]+, sub-1 [0-9]+\\), [1-9][0-9]* lost.*lost +[1-9][0-9]* +violation +5\\.0:MQTT-4\\.5\\.0-1.*pub-[0-9]+ -> share-[01] .*verdict: FAIL")
mqttspec_cli_test(cli_chaos_shared_faults_pass
  ARGS "chaos -d 1.5 -q -V 5.0 --shared-groups 2 --persistent --cut-every 200 --drop-clients all --drop-every 300 --seed 3 --json -"
  EXIT 0 OUTPUT "shared subscriptions: 2 groups of 2 members.*verdict: PASS \\(0 violations\\).*\"share_name\":[ \t]*\"mqsc[0-9a-f]+g0\"")
