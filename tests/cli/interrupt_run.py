"""SIGINT during `mqttspec run` against a target that never answers: exit 130,
and the JUnit (valid against tests/data/junit.xsd) and JSON reports are still
written with the unfinished cases NOT RUN.  SIGTERM: exit 143.

    python3 interrupt_run.py MQTTSPEC SOURCE_DIR WORKDIR
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time


def silent_listener():
    """Accepts every connection and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(512)
    held = []

    def loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=loop, daemon=True).start()
    return srv, srv.getsockname()[1]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run_and_signal(mqttspec, port, work, sig, expected):
    junit, report = os.path.join(work, "r.xml"), os.path.join(work, "r.json")
    for f in (junit, report):
        if os.path.exists(f):
            os.unlink(f)
    # A saved profile skips the pre-flight probe (which would classify a silent target as not MQTT), so the
    # cases themselves are in flight when the signal comes.
    profile = os.path.join(work, "profile.json")
    with open(profile, "w") as f:
        json.dump({"versions": {"3.1.1": {}, "5.0": {}}}, f)
    proc = subprocess.Popen([mqttspec, "run", "-h", "127.0.0.1", "-p", str(port), "-j", "4", "--id", "connect-*",
                             "--profile", profile, "--junit", junit, "--json", report],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(1.0)
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("still running 10 s after the signal")
    print(out.decode(errors="replace")[-600:])
    if proc.returncode != expected:
        fail("exit %d, expected %d" % (proc.returncode, expected))
    if time.monotonic() - sent > 3:
        fail("took %.1f s to stop" % (time.monotonic() - sent))
    return junit, report


def main():
    mqttspec, source, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    srv, port = silent_listener()
    junit, report = run_and_signal(mqttspec, port, work, signal.SIGINT, 130)
    with open(report) as f:
        doc = json.load(f)
    cases = doc["cases"]
    not_run = [c for c in cases if c["verdict"] == "NOT RUN"]
    if not cases or doc["summary"]["NOT RUN"] != len(not_run) or len(not_run) != len(cases):
        fail("every case should be NOT RUN (the target never answers): %s" % doc["summary"])
    if not any("interrupted during step" in (c["message"] or "") for c in cases):
        fail("no case was stopped in flight")
    if shutil.which("xmllint"):
        rc = subprocess.call(["xmllint", "--noout", "--schema", os.path.join(source, "tests/data/junit.xsd"), junit])
        if rc != 0:
            fail("the JUnit report does not validate")
    with open(junit) as f:
        if 'skipped message="NOT RUN: ' not in f.read():
            fail("no NOT RUN testcase in the JUnit report")
    run_and_signal(mqttspec, port, work, signal.SIGTERM, 143)
    srv.close()
    print("ok")


main()
