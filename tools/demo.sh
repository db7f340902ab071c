#!/usr/bin/env bash
# The whole job on the embedded emulator, backup → restore, with a summary at the end:
#   1. setup if needed (tools/setup.sh on a fresh machine; otherwise only the four programs are
#      brought up to date), then cosmos-emulator (4 partitions, 10,000 RU/s per collection, state
#      in demo-data/) and a deterministic tenant from tenant-gen;
#   2. the emulator restarted on the same data (the tenant is still there);
#   3. idabus-engine: a full backup through the Backup API with a live progress line, a burst of
#      writes and deletes through the engine's API, an incremental backup;
#   4. importTool --list and --verify of the backup folder, --generateRestoreFiles at the
#      incremental's completed time, -exportRaw of the three collections into a second database
#      (idabus-restored) with progress, and --compare of each restored collection;
#   5. a summary table: documents, bytes on disk, compression ratio, backup and restore times, RU/s
#      used against the budget and against the hot-range bound.
# No process outlives it, also after Ctrl-C (exit 130). Rerunning it starts afresh (demo-data/ is
# recreated; ports are ephemeral).
#   tools/demo.sh [--documents N] [--data-dir DIR]   (default 50000, demo-data/ in the checkout)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
documents=50000
data_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --documents)
      [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "demo.sh: --documents expects a positive integer" >&2; exit 2; }
      documents=$2; shift 2 ;;
    --data-dir)
      [ $# -ge 2 ] && [ -n "$2" ] || { echo "demo.sh: --data-dir expects a folder" >&2; exit 2; }
      data_dir=$2; shift 2 ;;
    *) echo "demo.sh: unknown option '$1' (expected --documents N or --data-dir DIR)" >&2; exit 2 ;;
  esac
done

bin="$root/build/bin"
programs=(cosmos-emulator idabus-engine tenant-gen importTool)
if [ -f "$root/build/build.ninja" ] && command -v node >/dev/null 2>&1; then
  echo "[demo] bringing ${programs[*]} up to date"
  cmake --build "$root/build" --target "${programs[@]}" >/dev/null
else
  "$root/tools/setup.sh"
fi
data=${data_dir:-$root/demo-data}
shown=${data_dir:-demo-data}  # how the messages name it
key='C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=='
# demo-data/ is the demo's own; a --data-dir folder of an earlier run holds the marker, and any
# other non-empty folder is not ours to delete.
if [ -n "$data_dir" ] && [ -d "$data" ] && [ -n "$(ls -A "$data")" ] && [ ! -e "$data/.idabus-demo" ]; then
  echo "demo.sh: $shown is not empty and not a demo folder; refusing to delete it (choose another --data-dir)" >&2
  exit 2
fi
rm -rf "$data"
mkdir -p "$data"
touch "$data/.idabus-demo"

# ---- processes: every one is started in the background and waited for, so that a signal
# reaches the trap at once; the trap stops whatever runs (SIGTERM, then waits).
emulator_pid=
engine_pid=
child_pid=
stop_pid() {
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
stop_engine() { stop_pid "$engine_pid"; engine_pid=; }
stop_emulator() { stop_pid "$emulator_pid"; emulator_pid=; }
cleanup() { stop_pid "$child_pid"; child_pid=; stop_engine; stop_emulator; }
trap cleanup EXIT
trap 'echo; echo "[demo] interrupted; stopping everything" >&2; cleanup; exit 130' INT TERM

# run CMD...: runs a foreground step as a waited-for child; returns its exit code.
run() {
  "$@" &
  child_pid=$!
  local code=0
  wait "$child_pid" || code=$?
  child_pid=
  return $code
}

start_emulator() {
  local out="$data/emulator.stdout"
  : > "$out"
  "$bin/cosmos-emulator" --port 0 --partitions 4 --ru-per-second 10000 --data-dir "$data/store" \
    > "$out" 2> "$data/emulator.log" &
  emulator_pid=$!
  url=
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
  echo "[demo] cosmos-emulator listening on $url (data in $shown/store)"
}

# cosmos_query COLLECTION SQL [MAX_ITEMS]: one page of a cross-partition query with a hand-signed
# REST request (curl + openssl), to show the wire protocol without any of our code on the client.
cosmos_query() {
  local coll=$1 sql=$2 max=${3:-100} date date_lower hexkey sig
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
    -H "x-ms-max-item-count: $max" -d "{\"query\":\"$sql\",\"parameters\":[]}"
}
count_documents() {
  cosmos_query "$1" 'SELECT VALUE COUNT(1) FROM c' | sed -n 's/.*"Documents":\[\([0-9]*\)\].*/\1/p'
}
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

start_emulator
cs="AccountEndpoint=$url;AccountKey=$key;"
echo "[demo] tenant-gen: $documents documents into database 'idabus' at 8,000 RU/s"
run "$bin/tenant-gen" "$cs" idabus --documents "$documents" --seed 42 --ru-budget 8000

echo "[demo] restarting the emulator on the same data directory"
stop_emulator
start_emulator
for coll in Resources Events WorkflowExecutions; do
  echo "[demo]   $coll: $(count_documents "$coll") documents after the restart"
done
cs="AccountEndpoint=$url;AccountKey=$key;"

# ---- backups through the engine's API ----
api_key=demo-key-0123456789
mkdir -p "$data/backups"
cat > "$data/appsettings.json" <<JSON
{
  "CosmosDb": { "ConnectionString": "$cs", "DatabaseName": "idabus" },
  "Api": { "Urls": "http://127.0.0.1:0", "ApiKeys": ["$api_key"] },
  "Backup": { "AllowedRoots": ["$data/backups"], "RuBudget": 8000, "MaxReadOnlySeconds": 120, "ProgressSeconds": 1 }
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
echo "[demo] idabus-engine listening on $engine (config $shown/appsettings.json)"
api() { curl -s -H "Authorization: Bearer $api_key" "$@"; }

# The live line of a running backup from its event: phase, documents, MB of the collections
# finished so far, RU/s.
progress_of() {
  node -e '
    const e = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const c = (e.requestParameters || {}).collections || {};
    let bytes = 0;
    for (const k of Object.keys(c)) bytes += (c[k] && c[k].rawBytes) || 0;
    const p = e.progress || {};
    process.stdout.write(`${e.phase || "?"}: ${p.documents || 0} documents, ${(bytes / 1e6).toFixed(1)} MB, ${Math.round(p.ruPerSecond || 0)} RU/s`);
  ' 2>/dev/null || true
}

# backup SPEC: PUT create, a live progress line until status answers 204, the event's summary.
backup() {
  local spec=$1 id status event line
  id=$(api -X PUT -H 'Content-Type: application/json' \
    "$engine/api/v1/Backup/create?folderPathForBackup=$data/backups&comment=demo" -d "$spec" | tr -d '"')
  echo "[demo]   PUT /api/v1/Backup/create -> event $id"
  while :; do
    status=$(api -o /dev/null -w '%{http_code}' "$engine/api/v1/Backup/status")
    [ "$status" = 204 ] && break
    line=$(api "$engine/api/v1/Events/$id" | progress_of)
    printf '\r\033[K[demo]   %s' "$line"
    sleep 0.5
  done
  event=$(api "$engine/api/v1/Events/$id")
  printf '\r\033[K[demo]   %s\n' "$(printf '%s' "$event" | node -e '
    const e = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const r = e.requestParameters || {};
    console.log(`${e.status}: folder ${(r.folder || "").split("/").pop()}`);
    for (const [name, c] of Object.entries(r.collections || {})) {
      if (!c || !c.type) continue;
      console.log(`[demo]     ${name}: ${c.type}, ${c.documents} documents, ${(c.rawBytes / 1e6).toFixed(1)} MB raw -> ${(c.compressedBytes / 1e6).toFixed(1)} MB, ${Math.round(c.requestCharge)} RU`);
    }')"
  printf '%s' "$event" | grep -q '"status":"Completed"' || { echo "[demo] the backup did not complete" >&2; exit 1; }
}

echo "[demo] full backup of the three collections"
t0=$(now)
backup '{"Resources":{"isincluded":true},"Events":{"isincluded":true},"WorkflowExecutions":{"isincluded":true}}'
full_seconds=$(seconds_since "$t0")

# A burst through the engine's write surface: updates and deletes of existing resources, new
# ones; each write also records a request event in Events.
burst=$(( documents / 100 )); [ "$burst" -lt 20 ] && burst=20
echo "[demo] burst through the engine API: $burst updates, $((burst / 2)) inserts, $((burst / 2)) deletes"
cosmos_query Resources "SELECT c.id, c.objecttype FROM c WHERE c.objecttype = 'Person'" $(( burst * 3 / 2 )) |
  grep -o '"id":"[^"]*","objecttype":"[^"]*"' | sed 's/"id":"\([^"]*\)","objecttype":"\([^"]*\)"/\2 \1/' \
  > "$data/burst-targets.txt"
curl_config="$data/burst.curl"
: > "$curl_config"
# One curl process for the whole burst: requests separated by "next" in its config file.
request_options() {
  printf 'header = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
    "$api_key" >> "$curl_config"
}
separate() { [ -s "$curl_config" ] && echo next >> "$curl_config"; return 0; }
n=0
while read -r type id; do
  separate
  if [ "$n" -lt "$burst" ]; then
    printf 'url = "%s/api/v1/Resources/%s/%s"\nrequest = "PUT"\ndata = "{\\"displayName\\":\\"updated by the demo\\",\\"burst\\":%d}"\n' \
      "$engine" "$type" "$id" "$n" >> "$curl_config"
  else
    printf 'url = "%s/api/v1/Resources/%s/%s"\nrequest = "DELETE"\n' "$engine" "$type" "$id" >> "$curl_config"
  fi
  request_options
  n=$((n + 1))
done < "$data/burst-targets.txt"
for i in $(seq "$((burst / 2))"); do
  separate
  printf 'url = "%s/api/v1/Resources/Person/demo-burst-%06d"\nrequest = "PUT"\ndata = "{\\"displayName\\":\\"created by the demo\\",\\"burst\\":%d}"\n' \
    "$engine" "$i" "$i" >> "$curl_config"
  request_options
done
curl -s -K "$curl_config" | sort | uniq -c | sed 's/^ */[demo]   /; s/ \([0-9]*\)$/ answered HTTP \1/'

sleep 3  # past the margin (Backup.MarginSeconds, 2 s) of the full backup's bounds
echo "[demo] incremental backup (since = the full one's completedtime)"
t0=$(now)
backup '{"Resources":{"isincluded":true,"isincremental":true},"Events":{"isincluded":true,"isincremental":true},"WorkflowExecutions":{"isincluded":true,"isincremental":true}}'
incremental_seconds=$(seconds_since "$t0")
stop_engine

# ---- restore with importTool ----
echo "[demo] importTool --list $shown/backups"
run "$bin/importTool" --list "$data/backups"
echo "[demo] importTool --verify $shown/backups"
run "$bin/importTool" --verify "$data/backups"
until=$(node -e '
  const fs = require("fs"), path = require("path"), dir = process.argv[1];
  let t = "";
  for (const d of fs.readdirSync(dir)) {
    const m = path.join(dir, d, "manifest.json");
    if (fs.existsSync(m)) { const c = JSON.parse(fs.readFileSync(m, "utf8")).completedtime; if (c > t) t = c; }
  }
  console.log(t);' "$data/backups")
echo "[demo] importTool --generateRestoreFiles at $until (the incremental's completed time)"
t0=$(now)
run "$bin/importTool" --generateRestoreFiles "$data/backups" "$data/restore" Resources,Events,WorkflowExecutions "$until"
generate_seconds=$(seconds_since "$t0")

declare -A pk=([Resources]=/objecttype [Events]=/id [WorkflowExecutions]=/id)
declare -A restore_seconds restored compare_result summary bound
for coll in Resources Events WorkflowExecutions; do
  echo "[demo] importTool -exportRaw $shown/restore -> idabus-restored/$coll"
  t0=$(now)
  run "$bin/importTool" -exportRaw "$data/restore" "$cs" idabus-restored "$coll" "${pk[$coll]}" --create-collection \
    > "$data/export-$coll.txt"
  restore_seconds[$coll]=$(seconds_since "$t0")
  summary[$coll]=$(tail -1 "$data/export-$coll.txt")
  echo "[demo]   ${summary[$coll]#importTool: }"
  # The hot-range bound of this import (what the collection's ranges allow for these documents).
  run "$bin/importTool" -exportRaw "$data/restore" "$cs" idabus-restored "$coll" "${pk[$coll]}" --dry-run \
    > "$data/dry-run-$coll.txt" 2>&1 || true
  bound[$coll]=$(sed -n 's/.*bound: \([0-9.]*\) RU\/s.*/\1/p' "$data/dry-run-$coll.txt" | head -1)
done
for coll in Resources Events WorkflowExecutions; do
  echo "[demo] importTool --compare $shown/restore idabus-restored/$coll"
  code=0
  run "$bin/importTool" --compare "$data/restore" "$cs" idabus-restored "$coll" "${pk[$coll]}" \
    > "$data/compare-$coll.txt" || code=$?
  sed 's/^/[demo]   /' "$data/compare-$coll.txt"
  restored[$coll]=$(sed -n 's/^read \([0-9]*\) documents.*/\1/p' "$data/compare-$coll.txt")
  compare_result[$coll]=$([ "$code" = 0 ] && echo equal || echo "DIFFERENT (exit $code)")
done
stop_emulator

# ---- summary ----
echo
echo "[demo] summary ($documents documents generated; backups in $shown/backups, restore files in $shown/restore)"
printf '%-19s %10s %8s %8s %6s %9s %7s %8s %7s %7s %s\n' collection backed-up 'raw MB' 'disk MB' ratio restore-s 'RU/s' 'budget%' 'bound' 'bound%' compare
for coll in Resources Events WorkflowExecutions; do
  read -r backed raw disk < <(node -e '
    const fs = require("fs"), path = require("path"), [dir, name] = process.argv.slice(1);
    let docs = 0, raw = 0, bytes = 0;
    for (const d of fs.readdirSync(dir)) {
      const m = path.join(dir, d, "manifest.json");
      if (!fs.existsSync(m)) continue;
      for (const c of JSON.parse(fs.readFileSync(m, "utf8")).collections) {
        if (c.name !== name) continue;
        docs += c.documents; raw += c.rawBytes; bytes += c.bytes;
        if (c.tombstones) bytes += c.tombstones.bytes;
      }
    }
    console.log(docs, raw, bytes);' "$data/backups" "$coll")
  ru=$(printf '%s' "${summary[$coll]}" | sed -n 's/.*docs\/s, \([0-9.]*\) RU\/s.*/\1/p' | head -1)
  pct=$(printf '%s' "${summary[$coll]}" | sed -n 's/.*(\([0-9.]*\) % of the .*/\1/p' | head -1)
  of_bound=$(awk -v r="${ru:-0}" -v b="${bound[$coll]:-0}" 'BEGIN { if (b > 0) printf "%.1f", 100 * r / b; else print "?" }')
  printf '%-19s %10s %8.1f %8.1f %6.2f %9s %7s %8s %7s %7s %s\n' "$coll" "$backed" "$(awk -v b="$raw" 'BEGIN{print b/1e6}')" \
    "$(awk -v b="$disk" 'BEGIN{print b/1e6}')" "$(awk -v r="$raw" -v d="$disk" 'BEGIN{print (d > 0 ? r/d : 0)}')" \
    "${restore_seconds[$coll]}" "${ru:-?}" "${pct:-?}" "${bound[$coll]:-?}" "$of_bound" \
    "${restored[$coll]:-?} restored, ${compare_result[$coll]}"
done
echo "[demo] backup times: full ${full_seconds} s, incremental ${incremental_seconds} s (engine Backup.RuBudget 8000 RU/s);" \
  "generateRestoreFiles ${generate_seconds} s"
echo "[demo] backed-up = document versions in the backup sets (full + incremental); RU/s = exportRaw's average,"
echo "[demo] budget% = of the collection's budget (10,000 RU/s offer), bound = the hot-range bound exportRaw computes"
echo "[demo] for these documents (RU/s the busiest range allows: offer/4 on it), bound% = RU/s used of that bound"
for coll in Resources Events WorkflowExecutions; do
  [ "${compare_result[$coll]}" = equal ] || { echo "[demo] $coll: the restore differs from its restore files" >&2; exit 1; }
done
echo "[demo] done: every restored collection equals its restore files"
