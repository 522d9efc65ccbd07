"""A FAIL that a stall of the whole target explains is confirmed alone, and reported INCONSISTENT.

A proxy in front of broker-sim freezes every connection (both directions) for 2.5 s as soon as
one of them carries the bytes "stallnow": a model of a broker with one global lock that a case
stalls.  Run beside the case that sends them, stall-victim times out waiting for its PUBACK;
the heartbeat sees the stall, the runner re-runs stall-victim alone, it passes, and the
verdict is INCONSISTENT with the first attempt kept (in the report and as its own capture).

    python3 stall_confirm.py MQTTSPEC SOURCE_DIR WORKDIR
"""
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time

STALL_S = 2.5


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def start_sim(mqttspec):
    proc = subprocess.Popen([mqttspec, "sim", "--listen", "mqtt://127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()  # "listening on mqtt://127.0.0.1:0 port N"
    if "port" not in line:
        fail("sim did not start: " + line)
    return proc, int(line.rsplit("port", 1)[1].split()[0])


class StallingProxy:
    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.frozen_until = 0.0
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(256)
        self.port = self.srv.getsockname()[1]
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.srv, selectors.EVENT_READ, None)
        self.pending = {}  # socket -> bytes waiting while frozen
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            for key, _ in self.sel.select(timeout=0.05):
                if key.data is None:
                    client, _ = self.srv.accept()
                    up = socket.create_connection(("127.0.0.1", self.upstream))
                    self.sel.register(client, selectors.EVENT_READ, up)
                    self.sel.register(up, selectors.EVENT_READ, client)
                    continue
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.close(key.fileobj, key.data)
                    continue
                if b"stallnow" in data:
                    self.frozen_until = time.monotonic() + STALL_S
                self.pending[key.data] = self.pending.get(key.data, b"") + data
            if time.monotonic() >= self.frozen_until:
                for dst, data in list(self.pending.items()):
                    try:
                        dst.sendall(data)
                    except OSError:
                        pass
                self.pending.clear()

    def close(self, a, b):
        for s in (a, b):
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            self.pending.pop(s, None)
            s.close()


def main():
    mqttspec, source, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    sim, sim_port = start_sim(mqttspec)
    try:
        proxy = StallingProxy(sim_port)
        report = os.path.join(work, "stall.json")
        out = subprocess.run([mqttspec, "run", "--target", "mqtt://127.0.0.1:%d" % proxy.port, "-j", "4",
                              "--scenarios", os.path.join(source, "tests/cli/data/stall"), "--json", report,
                              "--pcap", os.path.join(work, "pcap")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        print(out.stdout[-1500:])
        cases = {c["id"]: c for c in json.load(open(report))["cases"]}
        victim = cases["stall-victim"]
        if victim["verdict"] != "INCONSISTENT":
            fail("stall-victim is %s, expected INCONSISTENT" % victim["verdict"])
        first = victim.get("first_attempt") or {}
        if first.get("verdict") != "FAIL":
            fail("the first attempt is not kept as a FAIL: %s" % first)
        if out.returncode != 0:
            fail("exit %d: an INCONSISTENT case alone must not fail the run" % out.returncode)
        # --pcap: the re-run (INCONSISTENT is no PASS) and the failed first attempt, each with packets
        for suffix in ("", ".first-attempt"):
            path = os.path.join(work, "pcap", "stall-victim@%s%s.pcap" % (victim["version"], suffix))
            if not os.path.exists(path) or os.path.getsize(path) <= 24:  # 24: the file header alone
                fail("%s: missing or without packets" % path)
        print("ok")
    finally:
        sim.terminate()
        sim.wait()


main()
