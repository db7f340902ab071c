#!/usr/bin/env bash
# The main job on the embedded emulator, as far as it exists today:
#   1. start cosmos-emulator (4 partitions, 10,000 RU/s per collection, state in demo-data/),
#   2. fill a deterministic tenant with tenant-gen under a client-side RU budget,
#   3. restart the emulator on the same data and show that the tenant is still there.
# The backup (idabus-engine) and restore (importTool) parts are not built yet; the script says so.
#   tools/demo.sh [--documents N]   (default 20000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
documents=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --documents) documents=$2; shift 2 ;;
    *) echo "demo.sh: unknown option '$1' (expected --documents N)" >&2; exit 2 ;;
  esac
done

"$root/tools/setup.sh"
bin="$root/build/bin"
data="$root/demo-data"
key='C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=='
rm -rf "$data"
mkdir -p "$data"

emulator_pid=
stop_emulator() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid"
    wait "$emulator_pid" || true
  fi
  emulator_pid=
}
trap stop_emulator EXIT

start_emulator() {
  local out="$data/emulator.stdout"
  : > "$out"
  "$bin/cosmos-emulator" --port 0 --partitions 4 --ru-per-second 10000 --data-dir "$data/store" \
    > "$out" 2> "$data/emulator.log" &
  emulator_pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/^listening on //p' "$out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "[demo] cosmos-emulator did not start; its log:" >&2
    cat "$data/emulator.log" >&2
    exit 1
  fi
  echo "[demo] cosmos-emulator listening on $url (data in demo-data/store)"
}

start_emulator
cs="AccountEndpoint=$url;AccountKey=$key;"
echo "[demo] tenant-gen: $documents documents into database 'idabus' at 8,000 RU/s"
"$bin/tenant-gen" "$cs" idabus --documents "$documents" --seed 42 --ru-budget 8000

# SELECT VALUE COUNT(1) over one collection with a hand-signed REST request (curl + openssl),
# to show the wire protocol without any of our code on the client side.
count_documents() {
  local coll=$1 date date_lower hexkey sig
  date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
  date_lower=$(printf '%s' "$date" | tr 'A-Z' 'a-z')
  hexkey=$(printf '%s' "$key" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  sig=$(printf 'post\ndocs\ndbs/idabus/colls/%s\n%s\n\n' "$coll" "$date_lower" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary | base64 -w0 |
    sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
  curl -sf -X POST "${url%/}/dbs/idabus/colls/$coll/docs" \
    -H "authorization: type%3Dmaster%26ver%3D1.0%26sig%3D$sig" -H "x-ms-date: $date" \
    -H 'x-ms-version: 2020-07-15' -H 'content-type: application/query+json' \
    -H 'x-ms-documentdb-isquery: True' -H 'x-ms-documentdb-query-enablecrosspartition: True' \
    -d '{"query":"SELECT VALUE COUNT(1) FROM c","parameters":[]}' | sed -n 's/.*"Documents":\[\([0-9]*\)\].*/\1/p'
}

echo "[demo] restarting the emulator on the same data directory"
stop_emulator
start_emulator
for coll in Resources Events WorkflowExecutions; do
  echo "[demo]   $coll: $(count_documents "$coll") documents after the restart"
done
cs="AccountEndpoint=$url;AccountKey=$key;"
echo "[demo] rerunning tenant-gen with the same seed and no client-side budget (the emulator's 429s pace it)"
"$bin/tenant-gen" "$cs" idabus --documents "$documents" --seed 42 --ru-budget 0
stop_emulator

echo
echo "[demo] not there yet: idabus-engine (Backup API, phases, backup files) and importTool"
echo "[demo] (--generateRestoreFiles, -exportRaw, --list, --verify); see README.md, Status."
