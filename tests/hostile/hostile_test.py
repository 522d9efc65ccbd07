#!/usr/bin/env python3
"""Hostile-peer integration tests (docs/robustness.md), stdlib only.

    hostile_test.py MQTTSPEC OUTDIR MODE

Broker modes (fake_broker.py MODE): `mqttspec run` against it with --json and --junit must end with a
verdict or an ERROR that says why for every case, write both reports (valid JSON and XML), and stay
under the RSS bound.  Other modes:
  sim-flood   fake clients flood `mqttspec sim`: a fast QoS 1 publisher, a 5.0 subscriber with Receive
              Maximum 1 that never acknowledges, a subscriber that never reads; the sim must disconnect
              the slow consumer with 0x97, still serve a new client, and stay under the RSS bound
  big         `mqttspec run` of a scenario that publishes a 2 MB message and receives it, against the
              embedded broker-sim: PASS

RSS bounds: RSS_BOUND_MB (64) for the process under test; under ASan (MQTTSPEC_ASAN=1), whose shadow
memory and quarantine inflate RSS several times, ASAN_RSS_BOUND_MB (256) instead.
"""
import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ASAN = os.environ.get("MQTTSPEC_ASAN") == "1"
RSS_BOUND_MB = 256 if ASAN else 64
SELECTION = ["--id", "connect-accepted", "--id", "qos0-delivery", "--id", "qos1-publish-acked"]
RUN_TIMEOUT_S = 150

# What each broker mode must make of every case: a verdict in the set, and a message matching the pattern.
EXPECT = {
    "silent": ({"FAIL", "ERROR"}, r"."),
    "garbage": ({"FAIL", "ERROR"}, r"."),
    "huge": ({"ERROR"}, r"more than this harness accepts .*--max-packet-size"),
    "flood": ({"FAIL", "ERROR"}, r"."),
    "close": ({"FAIL", "ERROR"}, r"."),
    "flood-sub": ({"PASS", "FAIL", "ERROR"}, r""),  # connect-accepted subscribes nothing: no flood, PASS
}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def start(args, **kw):
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def read_port(proc, pattern):
    line = proc.stdout.readline()
    m = re.search(pattern, line)
    if not m:
        proc.kill()
        fail("no port from %s: %r %s" % (proc.args, line, proc.stderr.read()))
    return int(m.group(1))


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


PROBE_BOUND_S = 30  # two versions, each giving up at its first unanswered wait (3 s)


def children_maxrss_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # KiB on Linux


def run_mqttspec(mqttspec, outdir, extra, measure=True):
    """Run `mqttspec run` (its own child: the RSS measured is its peak); returns (exit, report, seconds, rss)."""
    json_path, junit_path = os.path.join(outdir, "report.json"), os.path.join(outdir, "report.xml")
    for p in (json_path, junit_path):
        if os.path.exists(p):
            os.remove(p)
    args = [mqttspec, "run", "-q", "--json", json_path, "--junit", junit_path] + extra
    t0 = time.monotonic()
    before = children_maxrss_mb()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    seconds = time.monotonic() - t0
    rss = children_maxrss_mb()
    if measure and rss <= before:
        fail("cannot attribute the peak RSS to mqttspec (an earlier child was bigger)")
    print(proc.stdout, proc.stderr, sep="\n")
    if proc.returncode < 0 or proc.returncode > 3:
        fail("mqttspec run ended with %d (a signal or a crash)" % proc.returncode)
    for p in (json_path, junit_path):
        if not os.path.exists(p):
            fail("report %s not written" % p)
    with open(json_path) as f:
        report = json.load(f)
    ET.parse(junit_path)
    return proc.returncode, report, seconds, rss


def cases_of(report):
    cases = report.get("cases")
    if not isinstance(cases, list) or not cases:
        fail("the JSON report has no cases: %r" % report)
    return cases


def check_rss(rss, what):
    print("%s: max RSS %.1f MB (bound %d MB%s)" % (what, rss, RSS_BOUND_MB, ", ASan" if ASAN else ""))
    if rss > RSS_BOUND_MB:
        fail("%s used %.1f MB, more than the bound of %d MB" % (what, rss, RSS_BOUND_MB))


def broker_mode(mqttspec, outdir, mode):
    broker = start([sys.executable, os.path.join(HERE, "fake_broker.py"), mode])
    try:
        port = read_port(broker, r"port (\d+)")
        # A saved profile skips the pre-flight probe, so the cases themselves meet the hostile peer; the
        # probe meets it alone below.
        profile = os.path.join(outdir, "profile.json")
        with open(profile, "w") as f:
            json.dump({"versions": {"3.1.1": {}, "5.0": {}}}, f)
        rc, report, seconds, rss = run_mqttspec(
            mqttspec, outdir, ["--target", "mqtt://127.0.0.1:%d" % port, "-j", "6", "--profile", profile] + SELECTION)
        t0 = time.monotonic()
        probe = subprocess.run([mqttspec, "probe", "mqtt://127.0.0.1:%d" % port], capture_output=True, text=True,
                               timeout=RUN_TIMEOUT_S)
        print("probe: exit %d in %.1f s: %s" % (probe.returncode, time.monotonic() - t0, probe.stdout.strip()[:300]))
        if probe.returncode not in (0, 3) or time.monotonic() - t0 > PROBE_BOUND_S:
            fail("the pre-flight probe against the '%s' broker: exit %d after %.1f s (bound %d s)"
                 % (mode, probe.returncode, time.monotonic() - t0, PROBE_BOUND_S))
    finally:
        stop(broker)
    verdicts, pattern = EXPECT[mode]
    for c in cases_of(report):
        verdict, message = c.get("verdict"), c.get("message") or ""
        print("  %s %s %s: %s" % (c.get("id"), c.get("version"), verdict, message[:200]))
        if verdict not in verdicts:
            fail("%s %s: %s, expected one of %s" % (c.get("id"), c.get("version"), verdict, sorted(verdicts)))
        if not re.search(pattern, message):
            fail("%s %s: message %r does not match %r" % (c.get("id"), c.get("version"), message, pattern))
    if rc != 1:
        fail("exit status %d, expected 1 (a FAIL or ERROR)" % rc)
    print("%s: %d cases in %.1f s" % (mode, len(report["cases"]), seconds))
    check_rss(rss, "mqttspec run against the '%s' broker" % mode)


# ---- sim-flood: fake clients against mqttspec sim ----

def connect_packet(level, client_id, props=b""):
    cid = client_id.encode()
    var = b"\x00\x04MQTT" + bytes([level, 0x02]) + b"\x00\x3c"
    if level == 5:
        var += bytes([len(props)]) + props
    body = var + len(cid).to_bytes(2, "big") + cid
    return bytes([0x10, len(body)]) + body


def subscribe_packet(level, topic, qos):
    t = topic.encode()
    body = b"\x00\x01" + (b"\x00" if level == 5 else b"") + len(t).to_bytes(2, "big") + t + bytes([qos])
    return bytes([0x82, len(body)]) + body


def publish_qos1(pid, topic, payload):
    t = topic.encode()
    body = len(t).to_bytes(2, "big") + t + pid.to_bytes(2, "big") + payload
    return bytes([0x32, len(body)]) + body


def client(port, level, client_id, props=b""):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(connect_packet(level, client_id, props))
    return s


def drain(sock, stop_flag):
    """Read and discard until the flag is set or the socket closes."""
    sock.settimeout(0.2)
    while not stop_flag.is_set():
        try:
            if not sock.recv(65536):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def packets(data):
    """(first byte, body) of each whole packet in data."""
    at = 0
    while at < len(data):
        length, shift, i = 0, 0, at + 1
        while i < len(data):
            length |= (data[i] & 0x7F) << shift
            shift += 7
            i += 1
            if not data[i - 1] & 0x80:
                break
        if i + length > len(data):
            return
        yield data[at], data[i:i + length]
        at = i + length


def vm_hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    fail("no VmHWM for pid %d" % pid)


def sim_flood(mqttspec, outdir):
    sim = start([mqttspec, "sim", "--listen", "mqtt://127.0.0.1:0"] + (["-v"] if os.environ.get("HOSTILE_SIM_LOG") else []))
    stop_flag = threading.Event()
    try:
        port = read_port(sim, r"port (\d+)")
        # The slow consumer: 5.0, Receive Maximum 1 (property 0x21), reads but never acknowledges.
        slow = client(port, 5, "slow", b"\x21\x00\x01")
        slow.sendall(subscribe_packet(5, "flood/t", 1))
        # A subscriber that never reads at all.
        deaf = client(port, 4, "deaf")
        deaf.sendall(subscribe_packet(4, "flood/t", 0))
        time.sleep(0.3)
        pub = client(port, 4, "pub")
        threading.Thread(target=drain, args=(pub, stop_flag), daemon=True).start()
        payload = b"p" * 100
        batch = b"".join(publish_qos1(1 + i % 65000, "flood/t", payload) for i in range(500))
        sent, t_end = 0, time.monotonic() + 4
        while time.monotonic() < t_end:
            try:
                pub.sendall(batch)
            except OSError:
                break
            sent += 500
        print("published %d QoS 1 messages in 4 s" % sent)
        # The slow consumer gets CONNACK, SUBACK, one PUBLISH (its window), then DISCONNECT 0x97.
        got, slow_data = b"", True
        slow.settimeout(5)
        while slow_data:
            try:
                slow_data = slow.recv(65536)
            except (socket.timeout, OSError):
                break
            got += slow_data
        if not any(kind == 0xE0 and body[:1] == b"\x97" for kind, body in packets(got)):
            fail("the slow consumer got no DISCONNECT 0x97 (%d bytes: %s...)" % (len(got), got[:64].hex()))
        print("the slow consumer was disconnected with 0x97 Quota exceeded")
        fresh = client(port, 4, "fresh")
        fresh.settimeout(5)
        if fresh.recv(4) != b"\x20\x02\x00\x00":
            fail("the sim does not serve a new client after the flood")
        print("the sim still serves a new client")
        rss = vm_hwm_mb(sim.pid)
        for s in (slow, deaf, pub, fresh):
            s.close()
    finally:
        stop_flag.set()
        stop(sim)
    check_rss(rss, "mqttspec sim under a flood with slow subscribers")


# ---- big: a 2 MB message through the embedded broker-sim ----

def big(mqttspec, outdir):
    payload = "b" * (2 * 1024 * 1024)
    scenario = {
        "id": "hostile-big-message", "title": "A 2 MB message is published and received",
        "spec": ["3.1.1:MQTT-3.3.5-1", "5.0:MQTT-3.3.5-1"], "versions": ["3.1.1", "5.0"],
        "steps": [
            {"connect": "sub"},
            {"send": "sub", "packet": {"type": "SUBSCRIBE", "packet_id": 1,
                                       "subscriptions": [{"filter": "{prefix}/big", "qos": 1}]}},
            {"expect": "sub", "packet": {"type": "SUBACK", "packet_id": 1}},
            {"connect": "pub"},
            {"send": "pub", "packet": {"type": "PUBLISH", "qos": 1, "packet_id": 2, "topic": "{prefix}/big",
                                       "payload": payload}},
            {"expect": "pub", "packet": {"type": "PUBACK", "packet_id": 2}},
            {"expect": "sub", "packet": {"type": "PUBLISH", "topic": "{prefix}/big", "payload": payload,
                                         "packet_id": {"$capture": "p"}}},
            {"send": "sub", "packet": {"type": "PUBACK", "packet_id": "${p}"}},
            {"disconnect": "pub"}, {"disconnect": "sub"}]}
    path = os.path.join(outdir, "big-message.json")
    with open(path, "w") as f:
        json.dump(scenario, f)
    rc, report, seconds, rss = run_mqttspec(mqttspec, outdir, ["--scenarios", path])
    for c in cases_of(report):
        print("  %s %s %s %s" % (c.get("id"), c.get("version"), c.get("verdict"), c.get("message") or ""))
        if c.get("verdict") != "PASS":
            fail("the 2 MB message did not go through")
    if rc != 0:
        fail("exit status %d" % rc)
    print("big: %d cases in %.1f s, max RSS %.1f MB" % (len(report["cases"]), seconds, rss))
    # Below the message's size, our own limit is an ERROR naming the limit and its option, never a FAIL.
    rc, report, seconds, rss = run_mqttspec(mqttspec, outdir, ["--scenarios", path, "--max-packet-size", "1048576"],
                                               measure=False)
    for c in cases_of(report):
        message = c.get("message") or ""
        print("  %s %s %s %s" % (c.get("id"), c.get("version"), c.get("verdict"), message))
        if c.get("verdict") != "ERROR" or not re.search(r"1048576 bytes; raise it with --max-packet-size", message):
            fail("--max-packet-size 1048576 did not make the 2 MB message an ERROR naming the limit")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    mqttspec, outdir, mode = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    if mode == "sim-flood":
        sim_flood(mqttspec, outdir)
    elif mode == "big":
        big(mqttspec, outdir)
    elif mode in EXPECT:
        broker_mode(mqttspec, outdir, mode)
    else:
        sys.exit("unknown mode " + mode)
    print("ok")


if __name__ == "__main__":
    main()
