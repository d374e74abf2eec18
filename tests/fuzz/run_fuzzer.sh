#!/usr/bin/env bash
# Runs one libFuzzer binary for a bounded time (the <target>_fuzz_test sh_tests,
# built with --config=fuzz): the seed corpus from the repository is read, new
# inputs go to a scratch directory, and a crash, leak or timeout fails the
# test. The crashing input is kept in the test's undeclared outputs
# (bazel-testlogs/.../test.outputs/) and printed (base64) in the log; add it to
# tests/fuzz/corpus/<target>/ once fixed.
#
# Usage: run_fuzzer.sh FUZZER SEED_DIR SECONDS
set -euo pipefail

fuzzer="$1"
seeds="$2"
seconds="${FUZZ_SECONDS:-$3}"

work="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/"
mkdir -p "${work}" "${artifacts}"

# detect_leaks: a leak in one input is a failure like a crash.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
if [[ -x /usr/bin/llvm-symbolizer-14 ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14
fi
exec "${fuzzer}" \
  -max_total_time="${seconds}" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -max_len=65536 \
  -print_final_stats=1 \
  -artifact_prefix="${artifacts}" \
  "${work}" "${seeds}"
