#!/usr/bin/env bash
# Builds the container image with podman and runs it the way a sidecar runs:
# read-only root, unprivileged user, no capabilities, the log directory
# mounted read-only. It ships a few pino lines to the test receiver on the
# host network and checks that they arrive and that SIGTERM stops it cleanly.
#
# Needs podman (and a debian:bookworm-slim base image; see the comment at
# the end for building one without a registry) and a built tree (build/).
# Not part of scripts/test.sh: building the image downloads Debian packages
# and takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
name=sluice-image-test
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-image.XXXXXX")
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  [ -n "${rx:-}" ] && kill "$rx" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

podman build --network=host -f packaging/Dockerfile -t localhost/sluice:test . >"$work/build.log"
echo "image: $(podman images localhost/sluice:test --format '{{.Size}}')"

mkdir -p "$work/containers/abc" "$work/state"
chmod 777 "$work/state"
python3 - "$work/containers/abc/abc-json.log" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e")
import harness
with open(sys.argv[1], "w") as f:
    for i, level in enumerate([20, 30, 40, 50, 30]):
        rec = harness.pino_record(level, "m%d" % i, 1764115200000 + i, trace_id="%032x" % i)
        f.write(harness.docker_line(json.dumps(rec)))
PY
chmod -R a+rX "$work/containers"

build/tests/receiver/sluice-receiver --listen 127.0.0.1:0 --port-file "$work/port" \
  --out "$work/received.jsonl" 2>"$work/receiver.log" &
rx=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
cat >"$work/sluice.yaml" <<EOF
server: {http_listen_address: 127.0.0.1, http_listen_port: 0}
positions: {filename: /var/lib/sluice/positions.yaml, sync_period: 1s}
clients: [{url: "http://127.0.0.1:$(cat "$work/port")/loki/api/v1/push", batchwait: 200ms}]
scrape_configs:
  - job_name: w40k-api
    static_configs: [{labels: {__path__: "/var/lib/docker/containers/*/*-json.log"}}]
    pipeline: pino
EOF
chmod a+r "$work/sluice.yaml"

podman run -d --name "$name" --network=host --read-only --user 10001:10001 --cap-drop=ALL \
  --security-opt no-new-privileges \
  -v "$work/containers:/var/lib/docker/containers:ro" \
  -v "$work/sluice.yaml:/etc/sluice/sluice.yaml:ro" \
  -v "$work/state:/var/lib/sluice" localhost/sluice:test >/dev/null
for _ in $(seq 100); do
  [ "$(wc -l <"$work/received.jsonl")" -ge 4 ] && break
  sleep 0.1
done
got=$(wc -l <"$work/received.jsonl")
podman stop -t 20 "$name" >/dev/null
podman logs "$name" 2>&1 | tail -3
[ "$got" -eq 4 ] || { echo "FAIL: expected 4 entries (info and above), got $got"; exit 1; }
grep -q 'abc-json.log' "$work/state/positions.yaml" || { echo "FAIL: no positions saved"; exit 1; }
echo "OK: 4 entries shipped from the container, positions saved, clean stop"

# Without a registry, a debian:bookworm-slim base can be made with debootstrap:
#   debootstrap --variant=minbase bookworm ROOTFS http://deb.debian.org/debian
#   tar -C ROOTFS -cf - . | podman import - localhost/debian:bookworm-slim
#   podman tag localhost/debian:bookworm-slim docker.io/library/debian:bookworm-slim
