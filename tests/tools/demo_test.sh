#!/usr/bin/env bash
# tools/demo.sh end to end (ctest demo_test, label integration): a small tenant runs the whole job,
# backup -> restore, and ends with every restored collection equal; a rerun on the same folder works;
# Ctrl-C (SIGINT to the demo's process group, as a terminal sends it) or SIGTERM to the script in
# the middle exits 130 and leaves no process; a folder that is not a demo's is refused, not deleted.
#   tests/tools/demo_test.sh <source root>
set -uo pipefail
root=$1
work=$(mktemp -d)
trap 'pkill -TERM -f -- "$work/" 2>/dev/null; rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

for run in first rerun; do
  "$root/tools/demo.sh" --documents 300 --data-dir "$work/demo" > "$work/$run.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || { fail "$run run exited $rc"; tail -20 "$work/$run.log" >&2; }
  grep -q "done: every restored collection equals its restore files" "$work/$run.log" || fail "$run run did not end equal"
  [ "$(grep -c 'result: equal' "$work/$run.log")" -eq 3 ] || fail "$run run did not compare three collections equal"
  ! pgrep -f -- "$work/demo" >/dev/null || fail "a process of the $run run outlived it"
done

# interrupt NAME SIGNAL TARGET: starts a demo, sends SIGNAL once the engine is up (the emulator and
# the engine both running) to TARGET: "group" (Ctrl-C: the terminal signals the whole foreground
# group, servers included) or "script" (kill <pid>: only the script, whose trap must stop them).
# Job control gives the demo a process group of its own with SIGINT not ignored (a plain `&` in a
# script ignores it).
interrupt() {
  local name=$1 signal=$2 target=$3 demo rc
  set -m
  "$root/tools/demo.sh" --documents 3000 --data-dir "$work/$name" > "$work/$name.log" 2>&1 &
  demo=$!
  set +m
  for _ in $(seq 600); do
    grep -q "idabus-engine listening" "$work/$name.log" && break
    kill -0 $demo 2>/dev/null || break
    sleep 0.1
  done
  grep -q "idabus-engine listening" "$work/$name.log" || fail "$name: the demo never started the engine"
  pgrep -f -- "$work/$name" >/dev/null || fail "$name: no process of the demo was running before the signal"
  if [ "$target" = group ]; then kill -"$signal" -- -$demo; else kill -"$signal" $demo; fi
  wait $demo
  rc=$?
  [ $rc -eq 130 ] || { fail "$name: the demo exited $rc, expected 130"; tail -20 "$work/$name.log" >&2; }
  grep -q "interrupted; stopping everything" "$work/$name.log" || fail "$name: no interruption message"
  ! pgrep -af -- "$work/$name" >&2 || fail "$name: processes of the demo outlived it (listed above)"
}
interrupt ctrl-c INT group
interrupt sigterm TERM script

# A folder of someone else's files is refused and kept.
mkdir -p "$work/mine" && echo keep > "$work/mine/notes.txt"
"$root/tools/demo.sh" --documents 300 --data-dir "$work/mine" > "$work/mine.log" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "a foreign folder: the demo exited $rc, expected 2"
[ -f "$work/mine/notes.txt" ] || fail "a foreign folder was deleted"

[ $failures -eq 0 ] && echo "demo_test: all passed"
exit $((failures > 0))
