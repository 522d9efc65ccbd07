"""A target that dies during `run` is never a PASS: the case is CRASHED, the rest NOT RUN, exit 3.

broker-sim's crash-on-client-connack quirk plays a crash when a client sends CONNACK: every
listener and connection closes at once.  malformed-client-sends-connack expects exactly that
close, so without liveness checks it would PASS.  Alone (-j 1) the crashing case is named
exactly; in parallel it must still be CRASHED, never PASS.  Without the quirk the same
selection passes (exit 0): the quirk, not the selection, makes the difference.

    python3 target_crash.py MQTTSPEC WORKDIR
"""
import json
import os
import subprocess
import sys

KILLER = "malformed-client-sends-connack"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(mqttspec, work, name, args):
    report = os.path.join(work, name + ".json")
    md = os.path.join(work, name + ".md")
    junit = os.path.join(work, name + ".xml")
    out = subprocess.run([mqttspec, "run", "--json", report, "--md", md, "--junit", junit] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    print(out.stdout[-1500:])
    with open(md) as f, open(junit) as g:
        return out, json.load(open(report)), f.read(), g.read()


def main():
    mqttspec, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    select = ["--id", "connect-connack-first", "--id", "malformed-client-sends-*"]

    out, doc, md, junit = run(mqttspec, work, "alone", ["-j", "1", "--sim-quirk", "crash-on-client-connack"] + select)
    cases = doc["cases"]
    at = [i for i, c in enumerate(cases) if c["id"] == KILLER and c["version"] == "3.1.1"]
    if not at:
        fail("%s (3.1.1) is not in the run" % KILLER)
    k = at[0]
    if k == 0:
        fail("the selection should put a case before %s" % KILLER)
    if out.returncode != 3:
        fail("exit %d, expected 3 (target down)" % out.returncode)
    for c in cases[:k]:
        if c["verdict"] != "PASS":
            fail("%s (%s) ran before the crash and is %s" % (c["id"], c["version"], c["verdict"]))
    if cases[k]["verdict"] != "CRASHED" or not cases[k]["message"].startswith("target crashed"):
        fail("the crashing case is %s: %s" % (cases[k]["verdict"], cases[k]["message"]))
    if "the case itself ended PASS" not in cases[k]["message"]:
        fail("the crashing case's own verdict (PASS: the close it expected came) is not kept in its message")
    after = cases[k + 1:]
    if not after or any(c["verdict"] != "NOT RUN" or "target" not in c["message"] for c in after):
        fail("the cases after the crash should all be NOT RUN because the target is down: %s"
             % [(c["id"], c["verdict"]) for c in after])
    crash = doc.get("target_crashed") or {}
    if crash.get("case") != KILLER or crash.get("version") != "3.1.1" or not crash.get("reason"):
        fail("the report does not name the case that killed the target: %s" % crash)
    if doc["summary"]["CRASHED"] != 1 or doc["summary"]["NOT RUN"] != len(after):
        fail("summary: %s" % doc["summary"])
    if "target crashed during %s (3.1.1)" % KILLER not in out.stdout:
        fail("the console summary does not name the case")
    if "**Target crashed:** during case %s (3.1.1)" % KILLER not in md.replace("\\-", "-"):
        fail("the Markdown report does not name the case")
    if 'type="CRASHED"' not in junit:
        fail("the JUnit report has no CRASHED failure")

    # In parallel the case that sent the CONNACK is still never a PASS.
    out, doc, _, _ = run(mqttspec, work, "parallel", ["-j", "8", "--sim-quirk", "crash-on-client-connack",
                                                      "--tag", "malformed"])
    verdict = {(c["id"], c["version"]): c["verdict"] for c in doc["cases"]}
    if out.returncode != 3 or verdict.get((KILLER, "3.1.1")) != "CRASHED" or "target_crashed" not in doc:
        fail("parallel: exit %d, %s (3.1.1) %s" % (out.returncode, KILLER, verdict.get((KILLER, "3.1.1"))))

    # The same selection without the quirk: everything passes and nothing is said of a crash.
    out, doc, md, _ = run(mqttspec, work, "healthy", ["-j", "1"] + select)
    if out.returncode != 0 or doc["summary"]["PASS"] != doc["summary"]["total"] or "target_crashed" in doc:
        fail("without the quirk: exit %d, %s" % (out.returncode, doc["summary"]))
    if "crashed" in out.stdout.lower() or "Target crashed" in md:
        fail("a healthy run mentions a crash")
    print("ok")


main()
