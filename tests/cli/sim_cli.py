"""mqttspec sim from the command line: -v says where it listens once, a busy
port exits 3 (as the help says), -p opens a listener, and SIGINT during
--scenario writes the report with the unfinished cases NOT RUN (exit 130).

    python3 sim_cli.py MQTTSPEC SOURCE_DIR WORKDIR
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def read_until(proc, stream, needle, seconds=10):
    """Lines of stream until one holds needle."""
    end = time.monotonic() + seconds
    lines = []
    while time.monotonic() < end:
        line = stream.readline().decode(errors="replace")
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    proc.kill()
    fail("no line with %r in %r" % (needle, lines))


def stop(proc, sig, expected):
    proc.send_signal(sig)
    try:
        out = proc.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("still running 10 s after the signal")
    if proc.returncode != expected:
        fail("exit %d, expected %d" % (proc.returncode, expected))
    return (out or b"").decode(errors="replace")


def verbose_once(mqttspec):
    # stdout and stderr on one stream, as on a terminal: the line once
    proc = subprocess.Popen([mqttspec, "sim", "-v", "-p", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = read_until(proc, proc.stdout, "listening on")
    rest = stop(proc, signal.SIGTERM, 0)
    said = sum("listening on" in l for l in lines + rest.splitlines())
    if said != 1:
        fail("-v: %d listening lines on one stream, expected 1: %r" % (said, lines + [rest]))
    # stdout apart (a script reading the port): it still gets its line
    proc = subprocess.Popen([mqttspec, "sim", "-v", "-p", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = read_until(proc, proc.stdout, "listening on")[-1]
    stop(proc, signal.SIGTERM, 0)
    if not line.startswith("listening on mqtt://127.0.0.1:0 port "):
        fail("stdout line: %r" % line)


def busy_port(mqttspec):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    proc = subprocess.run([mqttspec, "sim", "-p", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=20)
    busy.close()
    if proc.returncode != 3:
        fail("busy port: exit %d, expected 3: %s" % (proc.returncode, proc.stdout))


def scenario_interrupted(mqttspec, source, work):
    os.makedirs(work, exist_ok=True)
    report = os.path.join(work, "sim.json")
    proc = subprocess.Popen([mqttspec, "sim", "--listen", "mqtt://127.0.0.1:0", "--scenario",
                             os.path.join(source, "scenarios/client-tests"), "--json", report],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    read_until(proc, proc.stdout, "waiting for the client under test")
    time.sleep(0.3)
    stop(proc, signal.SIGINT, 130)
    with open(report) as f:
        doc = json.load(f)
    if doc["summary"]["NOT RUN"] != doc["summary"]["total"] or doc["summary"]["total"] < 2:
        fail("sim --scenario: every case should be NOT RUN: %s" % doc["summary"])


def main():
    mqttspec, source, work = sys.argv[1:4]
    verbose_once(mqttspec)
    busy_port(mqttspec)
    scenario_interrupted(mqttspec, source, work)
    print("ok")


main()
