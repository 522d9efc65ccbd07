#!/usr/bin/env bash
# The installed mqttspec works on its own.  Installs BUILD_DIR to a temporary
# prefix, moves the prefix elsewhere (no path compiled in may matter), and
# from a folder outside the repository, with MQTTSPEC_SCENARIOS unset and the
# source and build trees hidden (a private mount namespace, when unshare is
# allowed), runs 'mqttspec list', 'mqttspec coverage --check=refs --floor'
# and 'mqttspec run --id connect-*' against the embedded broker-sim.  Checks that every scenario came from the prefix, that
# the man page renders without warnings and that the bash completion loads
# and completes scenario ids and tags.  About two seconds.
#   usage: ci/install-test.sh [BUILD_DIR]   (default build/dev)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=$PWD
build=$(cd "${1:-build/dev}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "install-test: FAIL: $*" >&2
  exit 1
}

# ---- install, then move the prefix ----
cmake --install "$build" --prefix "$work/staged" >"$work/install.log"
mv "$work/staged" "$work/prefix"
prefix=$work/prefix
share=$prefix/share/mqttspec
for f in bin/mqttspec share/mqttspec/scenarios/schema.json share/mqttspec/scenarios/README.md \
  share/man/man1/mqttspec.1 share/bash-completion/completions/mqttspec; do
  [[ -f $prefix/$f ]] || fail "not installed: $f"
done
want=$(find "$src/scenarios" -name '*.json' | wc -l)
got=$(find "$share/scenarios" -name '*.json' | wc -l)
((got == want)) || fail "installed $got of the $want files of scenarios/"
want=$(find "$src/spec" -name '*.tsv' | wc -l)
got=$(find "$share/spec" -name '*.tsv' | wc -l)
((want > 0 && got == want)) || fail "installed $got of the $want spec/*.tsv lists"

# ---- run from the prefix alone ----
cp ci/coverage-floor.txt "$work/coverage-floor.txt"
# Inside a private mount namespace the repository (source and build trees) is
# covered by an empty tmpfs: the installed binary cannot read it even by mistake.
cat >"$work/from-prefix.sh" <<'EOF'
set -euo pipefail
prefix=$1 work=$2 src=$3
if [[ ${HIDE-} == 1 ]]; then
  mount -t tmpfs -o size=1m mqttspec-hidden "$src"
  [[ -z $(ls -A "$src") ]] || { echo "install-test: the source tree is still visible" >&2; exit 1; }
fi
cd "$work"
unset MQTTSPEC_SCENARIOS
"$prefix/bin/mqttspec" list >"$work/list.txt"
# coverage reads the installed statement lists and spec/untestable.tsv
"$prefix/bin/mqttspec" coverage --check=refs --floor "$work/coverage-floor.txt" >"$work/coverage.txt"
rc=0
"$prefix/bin/mqttspec" run -q --id 'connect-*' --json "$work/run.json" >"$work/run.txt" 2>&1 || rc=$?
cat "$work/run.txt"
exit $rc
EOF
hidden="source tree hidden"
if unshare --mount --propagation private true 2>/dev/null; then
  HIDE=1 unshare --mount --propagation private bash "$work/from-prefix.sh" "$prefix" "$work" "$src" ||
    fail "mqttspec list, coverage or run --id 'connect-*' from the prefix exited $?"
else
  hidden="source tree NOT hidden (no unshare): checked by the scenario paths"
  bash "$work/from-prefix.sh" "$prefix" "$work" "$src" || fail "mqttspec list, coverage or run --id 'connect-*' from the prefix exited $?"
fi
listed=$(wc -l <"$work/list.txt")
want=$("$build/cli/mqttspec" list --scenarios "$src/scenarios" | wc -l)
((listed > 0 && listed == want)) || fail "the installed mqttspec lists $listed scenarios, the source tree has $want"
python3 - "$work/run.json" "$share/scenarios/" <<'PY' || fail "the run from the prefix"
import json, sys
report, root = json.load(open(sys.argv[1])), sys.argv[2]
cases = report["cases"]
assert cases, "no case ran"
assert all(c["id"].startswith("connect-") for c in cases), "a case outside the selection ran"
outside = [c["file"] for c in cases if not c["file"].startswith(root)]
assert not outside, f"scenarios read from outside the prefix: {outside[:3]}"
bad = [f'{c["id"]}@{c["version"]}: {c["verdict"]}' for c in cases if c["verdict"] != "PASS"]
assert not bad, f"not PASS: {bad}"
# the statement lists were found in the prefix too: every case knows its section
unplaced = [c["id"] for c in cases if not c.get("section")]
assert not unplaced, f"no section (statement lists not found from the prefix?): {unplaced[:3]}"
print(f"install-test: {len(cases)} cases PASS, every scenario read from {root}")
PY

# ---- the man page renders, without warnings ----
man1=$prefix/share/man/man1/mqttspec.1
if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$man1" 2>&1)
  [[ -z $warnings ]] || fail "groff warns about the man page: $warnings"
  MANWIDTH=80 man -l "$man1" 2>/dev/null | grep -q "EXIT STATUS" || fail "man -l does not render the man page"
elif command -v mandoc >/dev/null; then
  mandoc -Tlint -Wwarning "$man1" || fail "mandoc warns about the man page"
else
  fail "neither groff nor mandoc: run ci/install-deps.sh"
fi

# ---- the bash completion loads and completes ids and tags of the installed set ----
completion=$prefix/share/bash-completion/completions/mqttspec
bash -c 'source "$1" && complete -p mqttspec' _ "$completion" >/dev/null || fail "the completion does not load"
complete_words() { # complete_words WORD...: what Tab offers after "mqttspec WORD..."
  env -u MQTTSPEC_SCENARIOS PATH="$prefix/bin:$PATH" bash -c '
    source "$1"; shift
    COMP_WORDS=(mqttspec "$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _mqttspec
    printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@"
}
offers() { # offers WORD WORD...: Tab after "mqttspec WORD..." offers the first WORD (output kept whole: no SIGPIPE)
  local want=$1 got
  shift
  got=$(complete_words "$@")
  grep -qx -- "$want" <<<"$got" || fail "completing 'mqttspec $*' does not offer $want (offers: ${got//$'\n'/ })"
}
offers connect-accepted run --id connect-acc
offers connect run --tag ""
offers decode ""
offers --junit run --ju
offers --floor coverage --fl

# ---- libmqttspec_mutator: the example fuzz target builds against the installed library alone ----
# (pkg-config file, header and archive from the moved prefix; a clang with libFuzzer, as the fuzz preset needs)
pc=$(dirname "$(find "$prefix" -name mqttspec-mutator.pc | head -1)")
[[ -n $pc ]] || fail "not installed: mqttspec-mutator.pc"
example=$(find "$prefix" -name example_fuzzer.c | head -1)
[[ -n $example ]] || fail "not installed: the mutator example"
if command -v clang >/dev/null; then
  # shellcheck disable=SC2046 # pkg-config's flags are words
  clang -g -O1 -fsanitize=fuzzer "$example" $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs mqttspec-mutator) \
    -o "$work/example_fuzzer" 2>"$work/example.log" || fail "the mutator example does not build: $(cat "$work/example.log")"
  "$prefix/bin/mqttspec" corpus "$work/seeds" --scenarios "$share/scenarios" >/dev/null || fail "mqttspec corpus"
  "$work/example_fuzzer" -runs=20000 -seed=1 "$work/seeds/5.0" >"$work/example-run.log" 2>&1 ||
    fail "the mutator example run: $(tail -5 "$work/example-run.log")"
  mutator="mutator example built from the prefix and run 20000 times"
else
  fail "no clang: run ci/install-deps.sh"
fi

echo "install-test: ok ($hidden; $listed scenarios listed; man page and completion checked; $mutator)"
