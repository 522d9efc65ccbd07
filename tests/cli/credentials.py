"""Credentials never appear in any output: a run with -u/-P against the
embedded broker-sim (with a quirk, so cases fail and reports carry their
transcripts) writes every report, a trace and captures; neither the user name nor the
password, nor their bytes as hex, is in any of them or on the console.
--show-credentials shows them (so the search can fail), and the password
also comes from --pw-file and $MQTTSPEC_PASSWORD.

    python3 credentials.py MQTTSPEC WORKDIR
"""
import os
import shutil
import subprocess
import sys

USER, PASSWORD = "alice-user", "S3cr3t-pw!"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def spellings(secret):
    """The secret as text and as the hex forms reports use (contiguous, spaced)."""
    b = secret.encode()
    return [secret, b.hex(), " ".join("%02x" % x for x in b)]


def run(mqttspec, work, extra, env=None):
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    args = [mqttspec, "run", "--id", "qos2-inbound-flow", "--sim-quirk", "qos2-as-puback", "-u", USER,
            "--junit", os.path.join(work, "r.xml"), "--json", os.path.join(work, "r.json"),
            "--md", os.path.join(work, "r.md"), "--trace", os.path.join(work, "trace"),
            "--pcap", os.path.join(work, "pcap")] + extra
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=dict(os.environ, **(env or {})))
    with open(os.path.join(work, "console.txt"), "wb") as f:
        f.write(proc.stdout)
    if proc.returncode != 1:
        fail("exit %d (expected 1: the quirk makes the cases FAIL)\n%s" % (proc.returncode, proc.stdout.decode()))
    if not os.listdir(os.path.join(work, "pcap")):
        fail("no capture written for the failing cases")
    found = {}
    for root, _, files in os.walk(work):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                text = f.read().decode(errors="replace")
            for secret in (USER, PASSWORD):
                for s in spellings(secret):
                    if s in text:
                        found.setdefault(secret, []).append(name)
    return found


def main():
    mqttspec, work = sys.argv[1:3]
    found = run(mqttspec, os.path.join(work, "redacted"), ["-P", PASSWORD])
    if found:
        fail("credentials found in %s" % found)
    shown = run(mqttspec, os.path.join(work, "shown"), ["-P", PASSWORD, "--show-credentials"])
    if PASSWORD not in shown or USER not in shown:
        fail("--show-credentials: the search finds nothing, so it proves nothing: %s" % shown)
    pw_file = os.path.join(work, "pw.txt")
    with open(pw_file, "w") as f:
        f.write(PASSWORD + "\n")
    if PASSWORD not in run(mqttspec, os.path.join(work, "file"), ["--pw-file", pw_file, "--show-credentials"]):
        fail("--pw-file: the password was not used")
    if PASSWORD not in run(mqttspec, os.path.join(work, "env"), ["--show-credentials"], {"MQTTSPEC_PASSWORD": PASSWORD}):
        fail("MQTTSPEC_PASSWORD: the password was not used")
    if run(mqttspec, os.path.join(work, "env-redacted"), [], {"MQTTSPEC_PASSWORD": PASSWORD}):
        fail("MQTTSPEC_PASSWORD: the password appears in the output")
    print("ok")


main()
