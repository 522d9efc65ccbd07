"""A broker that exits on a malformed packet: `run` says "target crashed" for that case and, without
--broker-cmd, NOT RUN for the cases after it (exit 3); with --broker-cmd the broker (broker-sim as a
process of its own, which really exits) is restarted and the cases after it run and PASS, and the
CRASHED case carries the broker's own last words.

    python3 supervised_run.py MQTTSPEC WORKDIR
"""
import json
import os
import subprocess
import sys

KILLER = "malformed-pingreq-flags"
SELECT = ["-j", "1", "-V", "3.1.1", "--id", "connect-connack-first", "--id", KILLER, "--id", "qos0-delivery"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(mqttspec, work, name, args):
    report = os.path.join(work, name + ".json")
    out = subprocess.run([mqttspec, "run", "-q", "--json", report] + SELECT + args, cwd=work,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    print(out.stdout[-1500:])
    return out, json.load(open(report))["cases"]


def split(cases):
    at = [i for i, c in enumerate(cases) if c["id"] == KILLER]
    if not at or at[0] == 0 or at[0] == len(cases) - 1:
        fail("the selection should put cases before and after %s: %s" % (KILLER, [c["id"] for c in cases]))
    k = at[0]
    return cases[:k], cases[k], cases[k + 1:]


def main():
    mqttspec, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)

    out, cases = run(mqttspec, work, "embedded", ["--sim-quirk", "crash-on-malformed"])
    before, killer, after = split(cases)
    if out.returncode != 3:
        fail("embedded: exit %d, expected 3" % out.returncode)
    if any(c["verdict"] != "PASS" for c in before):
        fail("embedded: a case before the crash did not pass")
    if killer["verdict"] != "CRASHED" or not killer["message"].startswith("target crashed"):
        fail("embedded: the killer is %s: %s" % (killer["verdict"], killer["message"]))
    if any(c["verdict"] != "NOT RUN" or "target down" not in c["message"] for c in after):
        fail("embedded: after the crash: %s" % [(c["id"], c["verdict"]) for c in after])

    sim = "%s sim --listen mqtt://127.0.0.1:{port} --quirk crash-on-malformed" % mqttspec
    logs = os.path.join(work, "logs")
    out, cases = run(mqttspec, work, "supervised", ["--broker-cmd", sim, "--broker-out", logs])
    before, killer, after = split(cases)
    if killer["verdict"] != "CRASHED" or "planted crash: exit on a malformed packet" not in killer["message"]:
        fail("supervised: the killer is %s: %s" % (killer["verdict"], killer["message"]))
    if any(c["verdict"] != "PASS" for c in before + after):
        fail("supervised: the others: %s" % [(c["id"], c["verdict"]) for c in before + after])
    if not os.path.exists(os.path.join(logs, "broker-2.err")):
        fail("supervised: the broker was not restarted (no broker-2.err)")

    # A healthy supervised broker: everything passes, nothing restarted, RSS recorded per case.
    out, cases = run(mqttspec, work, "healthy", ["--broker-cmd", sim.replace(" --quirk crash-on-malformed", ""),
                                                 "--broker-out", logs + "-ok", "--rss-bound", "1000000",
                                                 "--trace", os.path.join(work, "trace")])
    if out.returncode != 0 or any(c["verdict"] != "PASS" for c in cases):
        fail("healthy: exit %d, %s" % (out.returncode, [(c["id"], c["verdict"]) for c in cases]))
    if os.path.exists(os.path.join(logs + "-ok", "broker-2.err")):
        fail("healthy: the broker was restarted")
    traces = [os.path.join(work, "trace", f) for f in os.listdir(os.path.join(work, "trace"))]
    if len(traces) < len(cases) or not all("broker RSS" in open(t).read() for t in traces):
        fail("healthy: a case's transcript has no RSS note")
    print("ok")


main()
