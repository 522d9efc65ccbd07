#!/usr/bin/env python3
"""A scriptable hostile MQTT broker on loopback (stdlib only), for the hostile-peer tests.

    fake_broker.py MODE      prints "port N" on stdout once listening, serves until killed

Modes (what every accepted connection gets):
  silent      accepts, reads everything, never answers
  garbage     answers the first bytes with bytes that are no MQTT packet, then stays silent
  huge        CONNACK, then a PUBLISH announcing remaining length 268435455, trickled a byte every 50 ms
  flood       CONNACK, then valid QoS 0 PUBLISH packets as fast as the socket takes them
  close       closes at once
  flood-sub   a minimal broker (CONNACK, SUBACK, PUBACK, PINGRESP) that floods QoS 0 PUBLISH packets
              at every connection once it has subscribed, while the scenario's subscriber waits
"""
import socket
import sys
import threading
import time

CONNACK = {4: b"\x20\x02\x00\x00", 5: b"\x20\x03\x00\x00\x00", 3: b"\x20\x02\x00\x00"}


def read_packet(sock):
    """(type, flags, body) of the next packet, or None when the peer closed."""
    head = sock.recv(1)
    if not head:
        return None
    length, shift = 0, 0
    for _ in range(4):
        b = sock.recv(1)
        if not b:
            return None
        length |= (b[0] & 0x7F) << shift
        shift += 7
        if not b[0] & 0x80:
            break
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return head[0] >> 4, head[0] & 0x0F, body


def connect_level(body):
    """Protocol level of a CONNECT body (4: 3.1.1, 5: 5.0, 3: 3.1)."""
    name_len = int.from_bytes(body[0:2], "big")
    return body[2 + name_len] if len(body) > 2 + name_len else 4


def publish(level, topic=b"hostile/flood", payload=b"x" * 32):
    body = len(topic).to_bytes(2, "big") + topic + (b"\x00" if level == 5 else b"") + payload
    return bytes([0x30, len(body)]) + body


def flood(sock, level):
    pkt = publish(level) * 256
    while True:
        sock.sendall(pkt)


def serve_silent(sock):
    while sock.recv(65536):
        pass


def serve_garbage(sock):
    sock.recv(65536)
    sock.sendall(b"\x00\x10" + b"garbage, no MQTT" + b"\xff\xfe\xfd\x00" * 8)  # packet type 0 is reserved
    serve_silent(sock)


def serve_huge(sock):
    pkt = read_packet(sock)
    if not pkt:
        return
    sock.sendall(CONNACK.get(connect_level(pkt[2]), CONNACK[4]))
    sock.sendall(b"\x30\xff\xff\xff\x7f")
    while True:
        sock.sendall(b"\x00")
        time.sleep(0.05)


def serve_flood(sock):
    pkt = read_packet(sock)
    if not pkt:
        return
    level = connect_level(pkt[2])
    sock.sendall(CONNACK.get(level, CONNACK[4]))
    flood(sock, level)


def suback(level, body):
    pid = body[0:2]
    at = 2
    if level == 5:  # skip the properties (a one-byte length is enough for what mqttspec sends here)
        at += 1 + body[2]
    codes = b""
    while at + 2 <= len(body):
        at += 2 + int.from_bytes(body[at:at + 2], "big") + 1
        codes += b"\x00"
    rest = pid + (b"\x00" if level == 5 else b"") + codes
    return bytes([0x90, len(rest)]) + rest


def serve_flood_sub(sock):
    level = 4
    while True:
        pkt = read_packet(sock)
        if not pkt:
            return
        kind, flags, body = pkt
        if kind == 1:
            level = connect_level(body)
            sock.sendall(CONNACK.get(level, CONNACK[4]))
        elif kind == 8:
            sock.sendall(suback(level, body))
            flood(sock, level)
        elif kind == 3 and flags & 0x06:
            topic_len = int.from_bytes(body[0:2], "big")
            sock.sendall(b"\x40\x02" + body[2 + topic_len:4 + topic_len])
        elif kind == 12:
            sock.sendall(b"\xd0\x00")
        elif kind == 14:
            return


MODES = {"silent": serve_silent, "garbage": serve_garbage, "huge": serve_huge, "flood": serve_flood,
         "close": lambda sock: None, "flood-sub": serve_flood_sub}


def handle(mode, sock):
    try:
        MODES[mode](sock)
    except OSError:
        pass  # the harness closed or reset: what it is allowed to do
    finally:
        sock.close()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.exit("usage: fake_broker.py " + "|".join(MODES))
    mode = sys.argv[1]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    print("port", srv.getsockname()[1], flush=True)
    while True:
        sock, _ = srv.accept()
        threading.Thread(target=handle, args=(mode, sock), daemon=True).start()


if __name__ == "__main__":
    main()
