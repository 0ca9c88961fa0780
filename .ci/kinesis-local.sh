#!/usr/bin/env bash
# Starts kinesis-local (the Kinesis engine LocalStack uses, from the npm
# registry) for the Kinesis conformance tests.
#   bash .ci/kinesis-local.sh [SCRATCH_DIR]
# Installs kinesis-local into SCRATCH_DIR (default: a new temporary folder)
# unless it is already there, starts it in the background on loopback, waits
# until it answers and prints one line on stdout:
#   KINESIS_LOCAL_ENDPOINT=http://127.0.0.1:PORT
# Everything else goes to stderr. The server's pid is written to
# SCRATCH_DIR/kinesis-local.pid and its log to SCRATCH_DIR/kinesis-local.log.
# Ports: KINESIS_LOCAL_PORT (plain HTTP, default 4568) and
# KINESIS_LOCAL_TLS_PORT (default 4569); a busy port is replaced by the next
# free one.
set -euo pipefail

version=0.6.2
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
log() { echo "kinesis-local: $*" >&2; }

pkg="$dir/node_modules/kinesis-local"
if [ ! -f "$pkg/main.js" ]; then
  log "installing kinesis-local@$version into $dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "kinesis-local@$version" >&2
fi

busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p=$1
  while busy "$p"; do p=$((p + 1)); done
  echo "$p"
}
plain=$(free_port "${KINESIS_LOCAL_PORT:-4568}")
tls=${KINESIS_LOCAL_TLS_PORT:-4569}
[ "$tls" = "$plain" ] && tls=$((plain + 1))
tls=$(free_port "$tls")
[ "$tls" = "$plain" ] && tls=$(free_port $((plain + 1)))

log "starting on 127.0.0.1:$plain (TLS $tls)"
# main.js finds its certificate (server.json) beside itself: run it from its
# own folder. Its output goes to a file so that the caller's $(...) returns.
(
  cd "$pkg"
  KINESIS_MOCK_PLAIN_PORT=$plain KINESIS_MOCK_TLS_PORT=$tls \
    LOG_LEVEL=${KINESIS_LOCAL_LOG_LEVEL:-WARN} \
    nohup node main.js </dev/null >"$dir/kinesis-local.log" 2>&1 &
  echo $! >"$dir/kinesis-local.pid"
)
pid=$(cat "$dir/kinesis-local.pid")

for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    log "exited early; its log:"
    cat "$dir/kinesis-local.log" >&2
    exit 1
  fi
  # Any HTTP answer (an unsigned request gets a 400) means it is serving.
  if code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
      -H 'X-Amz-Target: Kinesis_20131202.ListStreams' \
      -H 'Content-Type: application/x-amz-json-1.1' -d '{}' \
      "http://127.0.0.1:$plain/" 2>/dev/null) && [ "$code" != 000 ]; then
    log "ready (pid $pid)"
    echo "KINESIS_LOCAL_ENDPOINT=http://127.0.0.1:$plain"
    exit 0
  fi
  sleep 0.2
done
log "did not answer within 20 s; its log:"
cat "$dir/kinesis-local.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
