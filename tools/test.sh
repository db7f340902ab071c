#!/usr/bin/env bash
# Every test: setup (packages, npm, build), the whole suite through ctest, then the unit tests
# again in an ASan+UBSan build (build-asan/). Non-zero exit on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${IDABUS_TEST_JOBS:-2}

"$root/tools/setup.sh"
echo "[test] ctest (all tests) in build/"
ctest --test-dir "$root/build" --output-on-failure --parallel "$jobs" --timeout 600

echo "[test] sanitizer build (ASan+UBSan) in build-asan/"
"$root/tools/setup.sh" --build-dir "$root/build-asan" --sanitize
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure --parallel "$jobs" -L unit --timeout 900
echo "[test] all passed"
