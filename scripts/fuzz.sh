#!/usr/bin/env bash
# Fuzzing with libFuzzer, under AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   run one target
#   scripts/fuzz.sh all SECONDS                              run every target in turn
#   scripts/fuzz.sh list                                     name the targets
#   scripts/fuzz.sh available                                succeed when clang can build them
#   scripts/fuzz.sh seeds                                    merge the tests' inputs into
#                                                            the committed corpora
#   scripts/fuzz.sh coverage TARGET                          line coverage of what the
#                                                            corpora reach (llvm-cov)
#
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev);
# builds in build-fuzz/ with -Dfuzzing=true, apart from the gcc build. A run
# starts from the committed seeds (tests/fuzz/corpus/TARGET, only read) and
# what earlier runs found (build-fuzz/corpus/TARGET, where new inputs go).
# A crash, leak, timeout or failed check is saved in
# build-fuzz/artifacts/TARGET/ and makes the run fail; reproduce it with
#   build-fuzz/tests/fuzz/fuzz-TARGET build-fuzz/artifacts/TARGET/crash-...
# then add it to the corpus and a unit test before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz
fuzzdir=tests/fuzz

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

targets() {
  for f in "$fuzzdir"/fuzz-*.c; do
    f=${f##*/fuzz-}
    echo "${f%.c}"
  done
}

have_fuzzer() {
  command -v clang >/dev/null || return 1
  echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
    clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null
}

build_fuzz() {
  if ! have_fuzzer; then
    echo "fuzz.sh: clang with libFuzzer is needed (Debian: clang, libclang-rt-14-dev)" >&2
    exit 1
  fi
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Dfuzzing=true -Dtests=false --werror >/dev/null
  fi
  if ! meson compile -C "$build" >"$build/compile.log" 2>&1; then
    grep -E "error|FAILED" "$build/compile.log" | head -40 >&2
    echo "fuzz.sh: building the fuzz targets failed (see $build/compile.log)" >&2
    exit 1
  fi
}

# Options of one target: the longest input and the dictionary.
target_options() {
  local max_len=4096
  case $1 in
    pipeline|docker|stages|json-scan|json-diff|config|push|push-request|otlp|docker-api|kube-watch) max_len=65536 ;;
    http) max_len=16384 ;;
  esac
  echo "-max_len=$max_len"
  [ -f "$fuzzdir/dict/$1.dict" ] && echo "-dict=$fuzzdir/dict/$1.dict"
  return 0
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run() {  # run TARGET SECONDS [options...]
  local t=$1 seconds=$2
  shift 2
  [ -f "$fuzzdir/fuzz-$t.c" ] || { echo "fuzz.sh: no target \"$t\" (see: scripts/fuzz.sh list)" >&2; exit 2; }
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$fuzzdir/corpus/$t"
  echo "fuzz-$t: ${seconds}s"
  # shellcheck disable=SC2046
  "$build/tests/fuzz/fuzz-$t" $(target_options "$t") -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" "$@" \
    "$build/corpus/$t" "$fuzzdir/corpus/$t"
}

seeds() {
  rm -rf "$build/seeds"
  python3 "$fuzzdir/seeds.py" "$build/seeds"
  for t in $(targets); do
    mkdir -p "$fuzzdir/corpus/$t"
    "$build/tests/fuzz/fuzz-$t" $(target_options "$t") -merge=1 "$fuzzdir/corpus/$t" "$build/seeds/$t" \
      2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' || true
  done
}

# Builds the targets with clang's source-based coverage (no sanitizers) and
# reports the lines of src/ that the corpora of TARGET reach.
coverage() {
  local t=$1 cov=build-fuzz-cov
  if [ ! -f "$cov/build.ninja" ]; then
    CC=clang meson setup "$cov" -Dfuzzing=true -Dtests=false \
      -Dc_args='-fprofile-instr-generate -fcoverage-mapping' \
      -Dc_link_args='-fprofile-instr-generate' >/dev/null
  fi
  meson compile -C "$cov" >/dev/null
  rm -f "$cov/$t.profraw"
  LLVM_PROFILE_FILE="$cov/$t.profraw" "$cov/tests/fuzz/fuzz-$t" -runs=0 \
    "$build/corpus/$t" "$fuzzdir/corpus/$t" >/dev/null 2>&1
  llvm-profdata merge -sparse "$cov/$t.profraw" -o "$cov/$t.profdata"
  llvm-cov report "$cov/tests/fuzz/fuzz-$t" -instr-profile="$cov/$t.profdata" \
    -ignore-filename-regex='tests/|push\.pb-c' src/
}

[ $# -ge 1 ] || usage
case $1 in
  list) targets ;;
  available) have_fuzzer ;;
  seeds) build_fuzz; seeds ;;
  coverage) [ $# -eq 2 ] || usage; build_fuzz; mkdir -p "$build/corpus/$2"; coverage "$2" ;;
  all)
    [ $# -eq 2 ] || usage
    build_fuzz
    failed=()
    for t in $(targets); do run "$t" "$2" || failed+=("$t"); done
    if [ ${#failed[@]} -gt 0 ]; then
      echo "fuzz.sh: failed: ${failed[*]} (see build-fuzz/artifacts/)" >&2
      exit 1
    fi
    ;;
  -h|--help|help) usage ;;
  *)
    [ $# -ge 2 ] || usage
    build_fuzz
    run "$@"
    ;;
esac
