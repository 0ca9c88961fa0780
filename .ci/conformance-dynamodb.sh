#!/usr/bin/env bash
# Runs the public DynamoDB conformance suite against the standalone emulator
# (emulation/cmd/awsemu) and fails if fewer tests pass than the figure in
# .ci/conformance-dynamodb.min, the ratchet: raise it when the emulator
# passes more.
#
#   bash .ci/conformance-dynamodb.sh [DIR]
#
# DIR (default: a new temporary folder) keeps the emulator binary, its log,
# and the suite's npm install between runs. The suite is looked up in
# $CONFORMANCE_DIR, else in shared/conformance beside the repository, one
# level above it, or in /work/shared/conformance. Without node and npm, or without the suite, it says so and
# skips (exit 0).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
min=$(tr -d '[:space:]' < .ci/conformance-dynamodb.min)

skip() { echo "conformance-dynamodb: skipped: $*"; exit 0; }
command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"
command -v python3 >/dev/null || skip "python3 is not installed (run-dynamodb.sh needs it)"

suite=${CONFORMANCE_DIR:-}
if [ -z "$suite" ]; then
  # Beside the checkout, one level up, or where this machine keeps it.
  for d in "$repo/../shared/conformance" "$repo/../../shared/conformance" /work/shared/conformance; do
    [ -x "$d/run-dynamodb.sh" ] && { suite=$(cd "$d" && pwd); break; }
  done
fi
[ -n "$suite" ] && [ -x "$suite/run-dynamodb.sh" ] || skip "no conformance suite (set CONFORMANCE_DIR to the folder holding run-dynamodb.sh)"

dir=${1:-$(mktemp -d -t conformance-dynamodb.XXXXXX)}
mkdir -p "$dir/work"
dir=$(cd "$dir" && pwd)

go build -o "$dir/awsemu" ./emulation/cmd/awsemu
"$dir/awsemu" -listen 127.0.0.1:0 >"$dir/awsemu.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
endpoint=
for _ in $(seq 1 100); do
  endpoint=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$dir/awsemu.log" | head -n 1)
  [ -n "$endpoint" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/awsemu.log"; echo "conformance-dynamodb: the emulator did not start"; exit 1; }
  sleep 0.1
done
[ -n "$endpoint" ] || { echo "conformance-dynamodb: the emulator printed no endpoint"; exit 1; }

CONFORMANCE_WORK="$dir/work" "$suite/run-dynamodb.sh" "$endpoint" "$dir/results.json"
passed=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(a["status"] == "passed" for f in d["testResults"] for a in f["assertionResults"]))
' "$dir/results.json")
echo "conformance-dynamodb: $passed tests passed; the ratchet (.ci/conformance-dynamodb.min) is $min"
if [ "$passed" -lt "$min" ]; then
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["testResults"]:
    for a in f["assertionResults"]:
        if a["status"] != "passed":
            print("  not passed:", a["fullName"])
' "$dir/results.json"
  echo "conformance-dynamodb: FAIL: $passed passed, fewer than $min"
  exit 1
fi
