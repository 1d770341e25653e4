#!/usr/bin/env bash
# Installs the Debian packages sluice needs to build, test (clang and its
# libFuzzer runtime for the fuzz targets) and run its demo.
# Does nothing when they are all present. Needs root (or sudo) otherwise.
#   --tests   also what only the test suite uses: a real Docker engine
#             (docker.io) for tests/docker, unless a dockerd is there already
set -euo pipefail

packages=(
  gcc meson ninja-build pkg-config
  libcurl4-openssl-dev libsnappy-dev libprotobuf-c-dev protobuf-c-compiler
  libjansson-dev libyaml-dev libpcre2-dev libmicrohttpd-dev zlib1g-dev libssl-dev
  check libsubunit-dev
  clang libclang-rt-14-dev
  python3 python3-yaml ca-certificates
)

if [ "${1:-}" = "--tests" ] && ! command -v dockerd >/dev/null; then
  packages+=(docker.io)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
