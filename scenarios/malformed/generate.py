#!/usr/bin/env python3
"""Write one scenario per row of scenarios/malformed/table.tsv into
scenarios/malformed/generated/ (the table is the one source: edit it, then run
this).  With --check, generate into a temporary directory and compare with the
committed files instead: exit 1 and name every difference (ctest
scenarios_generated).  python3 standard library only.

    scenarios/malformed/generate.py            # rewrite generated/
    scenarios/malformed/generate.py --check    # fail if generated/ is stale
"""
import difflib
import json
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
TABLE = HERE / "table.tsv"
OUT = HERE / "generated"
VERSIONS = ("3.1.1", "5.0")
COLUMNS = ["id", "group", "setup", "hex 3.1.1", "hex 5.0", "spec", "title", "why"]
SEND_COMMENT = "malformed on purpose: table.tsv row {id}"
WILL_PAYLOAD = "malformed input"
# What a server must do besides closing, per setup, and the statement saying so.
SETUP_SPEC = {
    "qos2-inflight": {"3.1.1": "MQTT-4.3.3-2", "5.0": "MQTT-4.3.3-8"},   # PUBREC for the QoS 2 PUBLISH
    "will": {"3.1.1": "MQTT-3.1.2-8", "5.0": "MQTT-3.1.2-8"},           # the Will is published
}
SUBACK_SPEC = {"3.1.1": "MQTT-3.8.4-1", "5.0": "MQTT-3.8.4-1"}
SETUP_TAGS = {"will": ["will"], "first-packet": ["connect"], "qos2-inflight": ["qos2"]}
# What a setup needs that a server may lack, per version, and the sentence of the spec that allows the lack.
SETUP_REQUIRES = {"qos2-inflight": {"5.0": ["qos2"]}}
SETUP_REQUIRES_WHY = {
    "qos2-inflight": "5.0: a server may announce Maximum QoS 1 (3.2.2.3.4: \"If a Server does not support QoS 1 or "
                     "QoS 2 PUBLISH packets it MUST send a Maximum QoS in the CONNACK packet specifying the highest "
                     "QoS it supports\"); the QoS 2 PUBLISH this setup needs would then be a Protocol Error, so the "
                     "case SKIPs before it (the target lacks qos2). 3.1.1 needs nothing optional: PUBREC is a MUST.",
}


class TableError(Exception):
    pass


def read_table(path):
    rows, header = [], None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            if cells != COLUMNS:
                raise TableError(f"{path}:{n}: header must be {COLUMNS}")
            header = cells
            continue
        if len(cells) != len(COLUMNS):
            raise TableError(f"{path}:{n}: {len(cells)} columns, expected {len(COLUMNS)}")
        row = dict(zip(COLUMNS, cells))
        row["line"] = n
        rows.append(row)
    ids = [r["id"] for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise TableError(f"{path}: duplicate ids {dupes}")
    return rows


def hex_of(row, version):
    value = row[f"hex {version}"].strip()
    return None if value == "-" else value


def spec_of(row, version):
    return [s for s in row["spec"].split() if s.startswith(version + ":")]


def connected_steps(row, version):
    return [{"connect": "c"}, send_step(row, "c", version), close_step(row, "c", version)]


def qos2_inflight_steps(row, version):
    publish = {"type": "PUBLISH", "qos": 2, "packet_id": 9, "topic": "{prefix}/q2", "payload": "x"}
    pubrec = {"expect": "c", "packet": {"type": "PUBREC", "packet_id": 9},
              "spec": [f"{version}:{SETUP_SPEC['qos2-inflight'][version]}"]}
    return [{"connect": "c"}] + requires_steps("qos2-inflight", version) + [
        {"send": "c", "packet": publish}, pubrec, send_step(row, "c", version), close_step(row, "c", version)]


def requires_steps(setup, version):
    caps = SETUP_REQUIRES.get(setup, {}).get(version)
    return [{"requires": caps, "comment": "what the setup needs that a server may lack"}] if caps else []


def will_steps(row, version):
    topic = "{prefix}/will"
    subscribe = {"type": "SUBSCRIBE", "packet_id": 1, "subscriptions": [{"filter": topic, "qos": 0}]}
    return [
        {"connect": "sub"},
        {"send": "sub", "packet": subscribe},
        {"expect": "sub", "packet": {"type": "SUBACK", "packet_id": 1, "codes": [0]},
         "spec": [f"{version}:{SUBACK_SPEC[version]}"]},
        {"connect": "pub", "will": {"topic": topic, "payload": WILL_PAYLOAD}},
        send_step(row, "pub", version),
        close_step(row, "pub", version),
        {"expect": "sub", "packet": {"type": "PUBLISH", "topic": topic, "payload": WILL_PAYLOAD},
         "spec": [f"{version}:{SETUP_SPEC['will'][version]}"]},
    ]


def first_packet_steps(row, version):
    outcomes = [{"close": True}]
    if version == "5.0":  # MQTT-3.2.2-7: a CONNACK >= 0x80 may come first
        outcomes.append({"packet": {"type": "CONNACK", "code": {"$range": [128, 255]}, "session_present": False},
                         "then_close": True})
    return [{"open": "c"}, send_step(row, "c", version),
            {"one_of": "c", "outcomes": outcomes, "spec": spec_of(row, version)}]


def send_step(row, conn, version):
    return {"send": conn, "hex": hex_of(row, version), "comment": SEND_COMMENT.format(id=row["id"])}


def close_step(row, conn, version):
    # expect_close also lets a 5.0 DISCONNECT with a reason code >= 0x80 come first
    return {"expect_close": conn, "spec": spec_of(row, version)}


SETUPS = {"connected": connected_steps, "qos2-inflight": qos2_inflight_steps, "will": will_steps,
          "first-packet": first_packet_steps}


def scenario(row):
    where = f"{TABLE.name}:{row['line']}"
    if row["setup"] not in SETUPS:
        raise TableError(f"{where}: unknown setup '{row['setup']}' (one of {sorted(SETUPS)})")
    versions = [v for v in VERSIONS if hex_of(row, v)]
    if not versions:
        raise TableError(f"{where}: no hex for any version")
    for v in versions:
        if not spec_of(row, v):
            raise TableError(f"{where}: no {v} statement in spec")
    steps = []
    for v in versions:
        for step in SETUPS[row["setup"]](row, v):
            if len(versions) > 1:
                step["versions"] = [v]
            steps.append(step)
    spec = row["spec"].split()
    extra = SETUP_SPEC.get(row["setup"], {})
    spec += [f"{v}:{extra[v]}" for v in versions if v in extra and f"{v}:{extra[v]}" not in spec]
    return {
        "id": row["id"],
        "title": row["title"],
        "description": f"{row['why']} "
                       + (SETUP_REQUIRES_WHY[row["setup"]] + " " if any(
                           v in SETUP_REQUIRES.get(row["setup"], {}) for v in versions) else "")
                       + f"Generated from scenarios/malformed/{TABLE.name}, row {row['id']} "
                       f"(setup '{row['setup']}'): edit the table and run scenarios/malformed/generate.py, "
                       "not this file.",
        "spec": spec,
        "versions": versions,
        "tags": ["malformed", "generated", row["group"]] + SETUP_TAGS.get(row["setup"], []),
        "steps": steps,
    }


def write_all(rows, outdir):
    outdir.mkdir(parents=True, exist_ok=True)
    for row in rows:
        text = json.dumps(scenario(row), indent=2, ensure_ascii=False) + "\n"
        (outdir / f"{row['id']}.json").write_text(text, encoding="utf-8")


def compare(fresh, committed):
    problems = []
    want = {p.name for p in fresh.glob("*.json")}
    have = {p.name for p in committed.glob("*.json")} if committed.is_dir() else set()
    for name in sorted(want - have):
        problems.append(f"{committed / name}: missing (the table has this row)")
    for name in sorted(have - want):
        problems.append(f"{committed / name}: not made by any table row")
    for name in sorted(want & have):
        new, old = (fresh / name).read_text(encoding="utf-8"), (committed / name).read_text(encoding="utf-8")
        if new != old:
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "committed", "generated", lineterm="", n=1)
            problems.append(f"{committed / name}: differs from the table\n" + "\n".join(list(diff)[:20]))
    return problems


def main(argv):
    if argv not in ([], ["--check"]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        rows = read_table(TABLE)
        if not argv:
            for stale in OUT.glob("*.json"):
                stale.unlink()
            write_all(rows, OUT)
            print(f"{len(rows)} scenarios written to {OUT}")
            return 0
        with tempfile.TemporaryDirectory() as tmp:
            write_all(rows, pathlib.Path(tmp))
            problems = compare(pathlib.Path(tmp), OUT)
    except TableError as e:
        print(e, file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    print(f"{len(rows)} table rows, {len(problems)} generated files out of date"
          + ("; run scenarios/malformed/generate.py" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
