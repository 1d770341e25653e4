#!/usr/bin/env bash
# The demo: installs what is needed, builds sluice, and ships sample logs of a
# pino-logging Node service (written in Docker's json-file format while sluice
# runs) to a Loki-compatible receiver bundled for tests, then prints a summary
# of what arrived. With LOKI_URL set (e.g. http://localhost:3100/loki/api/v1/push)
# the logs go to that Loki instead.
#
# Usage: scripts/demo.sh [SECONDS]    (default 8 seconds of logs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-8}

scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null

demo=$(mktemp -d "${TMPDIR:-/tmp}/sluice-demo.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$demo/containers"

if [ -z "${LOKI_URL:-}" ]; then
  build/tests/receiver/sluice-receiver --listen 127.0.0.1:0 --port-file "$demo/receiver.port" \
    --out "$demo/received.jsonl" 2>"$demo/receiver.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$demo/receiver.port" ] && break; sleep 0.1; done
  [ -s "$demo/receiver.port" ] || { echo "the receiver did not start:"; cat "$demo/receiver.log"; exit 1; }
  export LOKI_URL="http://127.0.0.1:$(cat "$demo/receiver.port")/loki/api/v1/push"
  echo "==> a Loki-compatible receiver listens at $LOKI_URL"
else
  echo "==> pushing to LOKI_URL=$LOKI_URL"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SLUICE_DEMO_DIR="$demo" SLUICE_HTTP_PORT="$port"
build/src/sluice -config.file conf/demo.yaml -config.expand-env=true -pipelines.dir pipelines \
  2>"$demo/sluice.log" &
sluice_pid=$!
pids+=($sluice_pid)
for _ in $(seq 100); do
  kill -0 "$sluice_pid" 2>/dev/null || { echo "sluice did not start:"; cat "$demo/sluice.log"; exit 1; }
  python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/ready', timeout=1)" \
    2>/dev/null && break
  sleep 0.1
done
echo "==> sluice runs (log: $demo/sluice.log); metrics at http://127.0.0.1:$port/metrics"
echo "==> writing $seconds s of sample container logs under $demo/containers"
stats=$(python3 scripts/demo-logs.py "$demo/containers" "$seconds")

python3 "$root/scripts/demo-summary.py" "$demo" "$port" "$stats"
kill -TERM "$sluice_pid"
wait "$sluice_pid" && echo "==> sluice stopped cleanly; positions saved in $demo/positions.yaml"
