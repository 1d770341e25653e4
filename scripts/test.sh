#!/usr/bin/env bash
# Runs every test: installs what is missing, builds with warnings as errors,
# runs the whole suite (unit, golden, end-to-end, fault), then builds again
# with AddressSanitizer and UndefinedBehaviorSanitizer and runs the unit and
# end-to-end tests there too (the agent itself runs sanitized in those), and
# finally runs every fuzz target of tests/fuzz for FUZZ_SECONDS (10) each
# when clang with libFuzzer is there (it says so when it is not).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --tests

setup() {  # setup DIR [meson options...]
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" --werror "$@" >/dev/null
  else
    meson setup "$dir" --werror "$@" >/dev/null
  fi
}

setup build
meson compile -C build
meson test -C build --print-errorlogs

setup build-sanitize -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-sanitize
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-sanitize --suite unit --suite e2e --print-errorlogs

if scripts/fuzz.sh available; then
  scripts/fuzz.sh all "${FUZZ_SECONDS:-10}"
else
  echo "test.sh: clang with libFuzzer not found: the fuzz targets were skipped"
fi
