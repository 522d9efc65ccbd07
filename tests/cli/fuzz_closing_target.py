"""`mqttspec fuzz` against a target that closes every connection at once must
not report success: nothing was fuzzed, so it exits 3 and says so.

    python3 fuzz_closing_target.py MQTTSPEC WORKDIR
"""
import socket
import subprocess
import sys
import threading


def closing_listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(512)

    def loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return srv, srv.getsockname()[1]


def main():
    mqttspec, work = sys.argv[1:3]
    srv, port = closing_listener()
    proc = subprocess.run([mqttspec, "fuzz", "-h", "127.0.0.1", "-p", str(port), "-d", "1", "-c", "2", "-o", work],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = proc.stdout.decode(errors="replace")
    print(out)
    srv.close()
    # The pre-flight sees the close before any case (or, past it, the run finds nothing fuzzed).
    if proc.returncode != 3 or ("NOTHING FUZZED" not in out and "without CONNACK" not in out):
        print("FAIL: exit %d, expected 3 saying the target closes without CONNACK" % proc.returncode)
        sys.exit(1)
    print("ok")


main()
