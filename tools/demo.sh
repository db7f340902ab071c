#!/usr/bin/env bash
# The main job on the embedded emulator, as far as it exists today:
#   1. start cosmos-emulator (4 partitions, 10,000 RU/s per collection, state in demo-data/),
#   2. fill a deterministic tenant with tenant-gen under a client-side RU budget,
#   3. restart the emulator on the same data and show that the tenant is still there,
#   4. start idabus-engine (demo-data/appsettings.json) and run a full backup through the Backup
#      API with curl, add documents, run an incremental one; print each event's summary.
# The restore (importTool) part is not built yet; the script says so. No process outlives it.
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
engine_pid=
stop_engine() {
  if [ -n "$engine_pid" ] && kill -0 "$engine_pid" 2>/dev/null; then
    kill -TERM "$engine_pid"
    wait "$engine_pid" || true
  fi
  engine_pid=
}
stop_emulator() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid"
    wait "$emulator_pid" || true
  fi
  emulator_pid=
}
trap 'stop_engine; stop_emulator' EXIT

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

# ---- backups through the engine's API ----
api_key=demo-key-0123456789
mkdir -p "$data/backups"
cat > "$data/appsettings.json" <<JSON
{
  "CosmosDb": { "ConnectionString": "$cs", "Database": "idabus" },
  "Api": { "Urls": "http://127.0.0.1:0", "ApiKeys": ["$api_key"] },
  "Backup": { "AllowedRoots": ["$data/backups"], "RuBudget": 8000, "MaxReadOnlySeconds": 120 }
}
JSON
: > "$data/engine.stdout"
"$bin/idabus-engine" --config "$data/appsettings.json" > "$data/engine.stdout" 2> "$data/engine.log" &
engine_pid=$!
engine=
for _ in $(seq 100); do
  engine=$(sed -n 's/^listening on //p' "$data/engine.stdout")
  [ -n "$engine" ] && break
  sleep 0.1
done
if [ -z "$engine" ]; then
  echo "[demo] idabus-engine did not start; its log:" >&2
  cat "$data/engine.log" >&2
  exit 1
fi
echo "[demo] idabus-engine listening on $engine (config demo-data/appsettings.json)"
api() { curl -s -H "Authorization: Bearer $api_key" "$@"; }

# PUT create, poll status until 204, print the event's summary.
backup() {
  local spec=$1 id phase last=
  id=$(api -X PUT -H 'Content-Type: application/json' \
    "$engine/api/v1/Backup/create?folderPathForBackup=$data/backups&comment=demo" -d "$spec" | tr -d '"')
  echo "[demo]   PUT /api/v1/Backup/create -> event $id"
  while :; do
    phase=$(api -w ' %{http_code}' "$engine/api/v1/Backup/status")
    [ "${phase##* }" = 204 ] && break
    phase=${phase% *}
    [ "$phase" != "$last" ] && echo "[demo]   status: $phase" && last=$phase
    sleep 0.2
  done
  echo "[demo]   status: 204 (done)"
  local event
  event=$(api "$engine/api/v1/Events/$id")
  echo "[demo]   event: $(printf '%s' "$event" | grep -o '"status":"[A-Za-z]*"' | head -1)," \
    "folder $(printf '%s' "$event" | sed -n 's/.*"folder":"\([^"]*\)".*/\1/p' | sed "s|$root/||")"
  printf '%s' "$event" | grep -o '"\(Resources\|Events\|WorkflowExecutions\)":{"type[^}]*}' |
    sed 's/^/[demo]     /'
}

echo "[demo] full backup of the three collections"
backup '{"Resources":{"isincluded":true},"Events":{"isincluded":true},"WorkflowExecutions":{"isincluded":true}}'
echo "[demo] tenant-gen: 200 more documents (seed 43), then an incremental backup (since = the full one's completedtime)"
"$bin/tenant-gen" "$cs" idabus --documents 200 --seed 43 --ru-budget 8000
sleep 3  # past the margin (Backup.MarginSeconds, 2 s) of the full backup's bounds
backup '{"Resources":{"isincluded":true,"isincremental":true},"Events":{"isincluded":true,"isincremental":true},"WorkflowExecutions":{"isincluded":true,"isincremental":true}}'
stop_engine
stop_emulator

echo
echo "[demo] not there yet: importTool (--generateRestoreFiles, -exportRaw, --list, --verify);"
echo "[demo] see README.md, Status."
