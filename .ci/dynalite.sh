#!/usr/bin/env bash
# Starts dynalite, an independent DynamoDB emulator from npm, for the
# conformance tests of emulation/dynamodb.
#
#   eval "$(bash .ci/dynalite.sh [DIR])"   # exports nothing; sets DYNALITE_ENDPOINT
#   export DYNALITE_ENDPOINT
#
# DIR (default: a new temporary folder) receives node_modules/dynalite if it
# is not there yet, the server's log (dynalite.log) and its pid
# (dynalite.pid; stop it with: kill "$(cat DIR/dynalite.pid)").
# DYNALITE_PORT picks the loopback port; by default a free one is chosen.
# DYNALITE_VERSION picks the npm version (default 4.0.0).
#
# Only the line DYNALITE_ENDPOINT=http://127.0.0.1:PORT goes to stdout;
# everything else goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

dir="${1:-}"
if [ -z "$dir" ]; then
	dir="$(mktemp -d -t dynalite.XXXXXX)"
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
version="${DYNALITE_VERSION:-4.0.0}"

command -v node >/dev/null || { echo "dynalite.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "dynalite.sh: npm is not installed" >&2; exit 1; }

cli="$dir/node_modules/dynalite/cli.js"
if [ ! -f "$cli" ]; then
	echo "dynalite.sh: installing dynalite@$version into $dir" >&2
	(cd "$dir" && npm install --no-audit --no-fund --no-save --loglevel=error "dynalite@$version") >&2
fi

port="${DYNALITE_PORT:-}"
if [ -z "$port" ]; then
	port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
fi

# Tables stay CREATING and DELETING for 50 ms instead of 500, so the tests'
# waiters see both statuses without waiting long. keep-serving.js keeps
# dynalite up when a client goes away mid-request.
setsid nohup node -r "$here/keep-serving.js" "$cli" --host 127.0.0.1 --port "$port" --createTableMs 50 --deleteTableMs 50 \
	</dev/null >"$dir/dynalite.log" 2>&1 &
pid=$!
echo "$pid" >"$dir/dynalite.pid"

endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
	# Any answer (dynalite rejects the unsigned request with 400) means it listens.
	if curl -s -o /dev/null -X POST -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
		-H 'Content-Type: application/x-amz-json-1.0' -d '{}' "$endpoint/"; then
		echo "dynalite.sh: dynalite $version listening at $endpoint (pid $pid, log $dir/dynalite.log)" >&2
		echo "DYNALITE_ENDPOINT=$endpoint"
		exit 0
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "dynalite.sh: dynalite exited; its log:" >&2
		cat "$dir/dynalite.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "dynalite.sh: dynalite did not answer at $endpoint within 10s; its log:" >&2
cat "$dir/dynalite.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
