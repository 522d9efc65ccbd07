"""Captures (--pcap DIR) against the JSON report of the same run, with tshark.

For every case of the report: a capture exists exactly when the verdict is not
PASS; `tshark -Y mqtt` lists the packets of the case's transcript, same types,
same order, same direction (a first attempt: FILE.first-attempt.pcap), and
the TCP payload of each connection and direction is the transcript's bytes; tshark finds no bad IPv4/TCP checksum and no TCP
analysis flag (or malformed packet, unless --allow-malformed: scenarios that
send malformed packets on purpose); the secret given is not in the file.

    python3 ci/pcap_compare.py REPORT.json PCAP_DIR --role client|server [--secret S] [--allow-malformed]
Prints one line per problem and a summary; exit 1 if there was a problem.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys

SERVER_PORT = 1883  # every capture's server port (docs/pcap.md)
problems = []


def tshark(path, *args):
    r = subprocess.run(["tshark", "-r", str(path), *args], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"{path.name}: tshark exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def expected_packets(case, we_are_server):
    """(type, from_server) of each packet of the transcript that was on the wire, in order."""
    packets, closed = [], set()
    for ev in case.get("transcript") or []:
        kind, conn = ev["kind"], ev["conn"]
        if kind == "opened":
            closed.discard(conn)
        elif kind in ("closed", "dropped"):
            closed.add(conn)
        elif kind in ("sent", "received") and ev["hex"] and conn not in closed:  # after a close: "not sent"
            packets.append((int(ev["hex"][:2], 16) >> 4, (kind == "sent") == we_are_server))
    return packets


def expected_bytes(case, we_are_server):
    """{(tcp stream, from_server): hex} of the transcript: a stream per opened connection, in order."""
    streams, latest, closed, data = 0, {}, set(), {}
    for ev in case.get("transcript") or []:
        kind, conn = ev["kind"], ev["conn"]
        if kind == "opened" or (kind in ("sent", "received") and ev["hex"] and conn not in latest):
            latest[conn], streams = streams, streams + 1
            closed.discard(conn)
        if kind in ("closed", "dropped"):
            closed.add(conn)
        elif kind in ("sent", "received") and ev["hex"] and conn not in closed:
            key = (latest[conn], (kind == "sent") == we_are_server)
            data[key] = data.get(key, "") + ev["hex"].lower()
    return data


def dissected_bytes(path):
    data = {}
    for line in tshark(path, "-Y", "tcp.len > 0", "-T", "fields", "-E", "separator=/t", "-e", "tcp.stream",
                       "-e", "tcp.srcport", "-e", "tcp.payload").splitlines():
        stream, port, payload = line.split("\t")
        key = (int(stream), int(port) == SERVER_PORT)
        data[key] = data.get(key, "") + payload.replace(":", "").lower()
    return data


def dissected_packets(path):
    packets = []
    for line in tshark(path, "-Y", "mqtt", "-T", "fields", "-E", "separator=/t", "-e", "tcp.srcport",
                       "-e", "mqtt.msgtype").splitlines():
        port, types = line.split("\t")
        packets += [(int(t), int(port) == SERVER_PORT) for t in types.split(",")]  # several PDUs in one frame
    return packets


def check_case(case, path, args):
    want, got = expected_packets(case, args.role == "server"), dissected_packets(path)
    if not want and case.get("verdict") != "SKIP":  # a case SKIPped before it connected has an empty capture
        problems.append(f"{path.name}: the transcript shows no packet: nothing to compare")
    if want != got:
        problems.append(f"{path.name}: tshark shows {got}, the transcript {want}")
    if expected_bytes(case, args.role == "server") != dissected_bytes(path):  # byte for byte, per connection
        problems.append(f"{path.name}: the TCP payloads differ from the transcript's bytes")
    anomaly = "ip.checksum.status == 0 || tcp.checksum.status == 0 || tcp.analysis.flags"
    if not args.allow_malformed:
        anomaly += " || _ws.malformed"
    bad = tshark(path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-Y", anomaly)
    if bad.strip():
        problems.append(f"{path.name}: {anomaly}:\n{bad}")
    if args.secret and args.secret.encode() in path.read_bytes():
        problems.append(f"{path.name}: holds the secret")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("pcap_dir")
    ap.add_argument("--role", choices=["client", "server"], required=True)
    ap.add_argument("--secret")
    ap.add_argument("--allow-malformed", action="store_true")
    args = ap.parse_args()
    pcaps = pathlib.Path(args.pcap_dir)
    wanted, checks = set(), []
    cases = []
    for case in json.loads(pathlib.Path(args.report).read_text())["cases"]:
        cases.append((case, ""))
        if case.get("first_attempt"):  # re-run alone: the first attempt has a capture of its own
            cases.append((case["first_attempt"], ".first-attempt"))
    for case, suffix in cases:
        path = pcaps / f'{case["id"]}@{case["version"]}{suffix}.pcap'
        if case["verdict"] == "PASS":
            if path.exists():
                problems.append(f"{path.name}: written for a PASS")
        elif not path.exists():
            problems.append(f"{path.name}: missing for a {case['verdict']}")
        else:
            wanted.add(path.name)
            checks.append((case, path))
    # tshark spends most of its time starting: one per core at a time
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda cp: check_case(cp[0], cp[1], args), checks))
    compared = len(checks)
    extra = {p.name for p in pcaps.glob("*.pcap")} - wanted
    if extra:
        problems.append(f"captures of no failing case: {sorted(extra)}")
    if compared == 0:
        problems.append(f"{args.report}: no failing case, nothing compared")
    for p in problems:
        print(f"pcap-compare: {args.report}: {p}", file=sys.stderr)
    print(f"pcap-compare: {args.report}: {compared} captures compared with their transcripts, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
