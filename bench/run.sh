#!/usr/bin/env bash
# The end-to-end benchmark suite of issue 11: every comparison in one run, on the same data and the
# same emulator settings (cosmos-emulator, 4 partitions), measured through a counting proxy
# (bench/count_proxy.mjs) in front of the emulator. Results: bench/results/<UTC date>.json; turn
# them into tables and plots with bench/report. Benchmarks never gate CI; tools/test.sh runs only
# `bench/run.sh --help`.
#
#   bench/run.sh [--quick] [--documents N] [--scale N,N,...] [--million] [--skip STEPS] [--out FILE] [--keep] [--chunk-bytes N] [--cpu-runs N]
#
#   --quick        N = 5,000 and scale at 2,000 and 5,000: a few minutes
#   --documents N  documents of the tenant for the comparisons (default 100,000)
#   --scale LIST   scale points, unthrottled backup and restore under /usr/bin/time -v (default 10000,100000)
#   --million      add N = 1,000,000 to the scale points (long on 2 cores; needs ~8 GB of memory)
#   --skip STEPS   comma-separated of cpu, export, restore, scale
#   --out FILE     results file (default bench/results/<UTC date>.json)
#   --keep         keep the work folder (backups, restore files, proxy series, logs) and print its path
#   --chunk-bytes N  the engine's Backup.ChunkBytes for every backup (default: the engine's, 8 MiB)
#   --cpu-runs N   backup CPU path runs; the ratio is the median run's (default 3, --quick 1)
#
# Steps: (1) backup CPU path: bench_backup against `zstd -3 -T0` over the same JSON Lines;
# (2) export: a full backup through idabus-engine's Backup API against the official SDK's query
# iterator (bench/sdk_export.mjs), unthrottled, then with every collection at 10,000 RU/s;
# (3) restore: `importTool -exportRaw` against the SDK's executeBulkOperations
# (bench/sdk_import.mjs), Resources and Events into collections of 10,000 RU/s; (4) scale.
# Exit codes: 0 every step ran; 1 some step failed (named in the results' "errors"); 2 bad option.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case " $* " in
  *" --help "*|*" -h "*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
command -v node >/dev/null || { echo "run.sh: node not found (run tools/setup.sh)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time not found (run tools/setup.sh)" >&2; exit 2; }
[ -d "$root/node_modules/@azure/cosmos" ] || { echo "run.sh: node_modules/@azure/cosmos missing (run tools/setup.sh)" >&2; exit 2; }
targets=(cosmos-emulator tenant-gen idabus-engine bench_backup)
[ -f "$root/tools/importTool/CMakeLists.txt" ] && targets+=(importTool)
[ -f "$root/build/build.ninja" ] || cmake -S "$root" -B "$root/build" -G Ninja >/dev/null
echo "[bench] building ${targets[*]}" >&2
cmake --build "$root/build" --target "${targets[@]}" >/dev/null
exec node "$root/bench/suite.mjs" "$@"
