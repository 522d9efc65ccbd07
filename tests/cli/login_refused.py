"""Against a broker that refuses every login, `run` without -u exits 3 with one line saying so
(naming the refusal and suggesting -u/-P) and runs nothing; `probe` says the same.

    python3 login_refused.py MQTTSPEC WORKDIR
"""
import os
import socket
import subprocess
import sys
import threading


def refusing_broker():
    """Answers each CONNECT with 'not authorized': 3.1.1 return code 5, 5.0 reason code 0x87."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def serve(conn):
        with conn:
            data = b""
            while len(data) < 9:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            level = data[8]  # 10 LL 00 04 'MQTT' LEVEL (one-byte remaining length: our CONNECTs are short)
            conn.sendall(b"\x20\x03\x00\x87\x00" if level == 5 else b"\x20\x02\x00\x05")
            conn.recv(1)

    def loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv, srv.getsockname()[1]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    mqttspec, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    srv, port = refusing_broker()
    report = os.path.join(work, "r.json")
    if os.path.exists(report):
        os.unlink(report)
    run = subprocess.run([mqttspec, "run", "--target", "mqtt://127.0.0.1:%d" % port, "--json", report],
                         capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    print(out)
    lines = [l for l in out.splitlines() if l.strip()]
    if run.returncode != 3:
        fail("exit %d, expected 3" % run.returncode)
    if len(lines) != 1 or "login refused" not in lines[0] or "-u" not in lines[0]:
        fail("expected one line naming the refusal and suggesting -u/-P, got %r" % lines)
    if os.path.exists(report):
        fail("cases ran: a report was written")
    probe = subprocess.run([mqttspec, "probe", "mqtt://127.0.0.1:%d" % port], capture_output=True, text=True,
                           timeout=60)
    print(probe.stdout, probe.stderr)
    if probe.returncode != 3 or "login-refused" not in probe.stdout or "0x05" not in probe.stdout:
        fail("probe: exit %d, expected 3 and login-refused with CONNACK 0x05" % probe.returncode)
    srv.close()
    print("ok")


main()
