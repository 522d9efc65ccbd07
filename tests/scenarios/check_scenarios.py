#!/usr/bin/env python3
"""Every scenario file validates against scenarios/schema.json, and every
statement it cites exists in the project's statement lists (spec/*.tsv).
Exit 77 (ctest SKIP) when the jsonschema module is missing."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)

def statements(tsv):
    with open(tsv, encoding="utf-8") as f:
        return {line.split("\t", 1)[0] for line in f if line.startswith("MQTT-")}

known = {"3.1.1": statements(root / "spec/mqtt311_statements.tsv"),
         "3.1": statements(root / "spec/mqtt311_statements.tsv"),
         "5.0": statements(root / "spec/mqtt5_statements.tsv")}
schema = json.loads((root / "scenarios/schema.json").read_text())
validator = jsonschema.Draft202012Validator(schema)

def cited(doc):
    yield from doc.get("spec", [])
    for step in doc.get("steps", []):
        if isinstance(step, dict):
            yield from step.get("spec", [])

errors = 0
files = sorted(p for p in (root / "scenarios").rglob("*.json") if p.name != "schema.json")
for path in files:
    doc = json.loads(path.read_text())
    for err in validator.iter_errors(doc):
        errors += 1
        print(f"{path}: /{'/'.join(map(str, err.absolute_path))}: {err.message[:200]}")
    for ref in cited(doc):
        version, _, stmt = ref.partition(":")
        if stmt not in known.get(version, ()):
            errors += 1
            print(f"{path}: cites {ref}, which is not in the {version} statement list")
print(f"{len(files)} scenario files checked, {errors} problems")
sys.exit(1 if errors else 0)
