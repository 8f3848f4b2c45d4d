#!/usr/bin/env bash
# Per-rank timelines through the executable: rank R slowed by DPTRAIN_TEST_SLOW_RANK (a test-only
# sleep in each of its steps) on NP ranks must be named by the straggler summary: once in the log,
# as metrics.jsonl "straggler" of every epoch, with every rank's busy/step/wait figures; without the
# slow rank nobody is named. log.trace writes RUN/trace.json: valid Chrome-trace JSON holding, for
# every rank, every phase of each traced step (exactly the window's steps), the gradient-bucket sums
# on their own lane, and the evaluation and checkpoint the window spans.
#   timeline.sh MPIEXEC DPTRAIN NP SLOW_RANK
set -euo pipefail
mpiexec=$1 bin=$2 np=$3 slow=$4
work=$(mktemp -d /tmp/dptrain-timeline-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# good.yaml: epochs of 4 steps; the window [5, 12) spans the ends of epochs 2 and 3 (evaluations,
# checkpoints).
args=(train -c good.yaml --set train.epochs=4 --set log.trace=true --set log.trace_start=5 --set log.trace_steps=7
      --set checkpoint.every_epoch=true)
DPTRAIN_TEST_SLOW_RANK="$slow:40" timeout 120 "$mpiexec" -n "$np" "$bin" "${args[@]}" --out "$work/slow" \
  < /dev/null > "$work/slow.out" 2>&1 || { cat "$work/slow.out"; fail "slowed run"; }
n=$(grep -c "straggler: rank $slow is" "$work/slow.out" || true)
[ "$n" -eq 4 ] || { cat "$work/slow.out"; fail "expected the straggler line once per epoch (4), got $n"; }
grep "straggler" "$work/slow.out" | grep -qv "^\[rank 0\]" && fail "a rank other than 0 printed the straggler line"
python3 - "$work/slow" "$np" "$slow" <<'PY'
import json, sys
run, np, slow = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
epochs = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if '"epoch"' in l and '"event"' not in l]
assert len(epochs) == 4, epochs
for e in epochs:
    assert e["straggler"]["rank"] == slow and e["straggler"]["behind"] > 0.1, e
    assert [r["rank"] for r in e["ranks"]] == list(range(np)), e["ranks"]
    busy = {r["rank"]: r["busy_ms"] for r in e["ranks"]}
    assert busy[slow] >= 40, busy  # the 40 ms sleep is busy time
    assert all(r["comm_wait_s"] >= 0 and r["step_ms"] >= r["busy_ms"] * 0.999 for r in e["ranks"]), e["ranks"]
trace = json.load(open(f"{run}/trace.json"))
events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
for rank in range(np):
    mine = [e for e in events if e["pid"] == rank]
    steps = sorted({e["args"]["step"] for e in mine if e["name"] == "step"})
    assert steps == list(range(6, 13)), (rank, steps)
    for phase in ("data", "forward", "backward", "comm wait", "optimizer"):
        got = sorted({e["args"]["step"] for e in mine if e["name"] == phase})
        assert got == steps, (rank, phase, got)
    sums = [e for e in mine if e["name"] == "allreduce"]
    assert sums and all(e["tid"] == 1 and e["dur"] >= 0 and e["args"]["floats"] > 0 for e in sums), sums[:3]
    assert {"evaluation", "checkpoint"} <= {e["name"] for e in mine}, rank
    assert all(e["dur"] >= 0 and e["ts"] >= 0 for e in mine)
names = {(e["pid"], e["args"]["name"]) for e in trace["traceEvents"] if e["name"] == "process_name"}
assert names == {(r, f"rank {r}") for r in range(np)}, names
print(f"ok: rank {slow} named in every epoch; trace: {len(events)} events of {np} ranks, steps 6-12")
PY
timeout 120 "$mpiexec" -n "$np" "$bin" train -c good.yaml --out "$work/even" < /dev/null > "$work/even.out" 2>&1 \
  || { cat "$work/even.out"; fail "even run"; }
[ ! -e "$work/even/trace.json" ] || fail "trace.json written without log.trace"
# The window cut by train.max_steps (the trace is written at the end of the run, steps 6-9), and a
# window the run never reaches (a warning, no file).
timeout 120 "$mpiexec" -n "$np" "$bin" train -c good.yaml --set train.epochs=4 --set train.max_steps=9 \
  --set log.trace=true --set log.trace_start=5 --set log.trace_steps=20 --out "$work/cut" < /dev/null \
  > "$work/cut.out" 2>&1 || { cat "$work/cut.out"; fail "cut run"; }
python3 - "$work/cut/trace.json" "$np" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for rank in range(int(sys.argv[2])):
    steps = sorted({e["args"]["step"] for e in t["traceEvents"] if e["pid"] == rank and e["name"] == "step"})
    assert steps == [6, 7, 8, 9], (rank, steps)
PY
timeout 120 "$mpiexec" -n "$np" "$bin" train -c good.yaml --set log.trace=true --set log.trace_start=100 \
  --out "$work/never" < /dev/null > "$work/never.out" 2>&1 || { cat "$work/never.out"; fail "never run"; }
[ ! -e "$work/never/trace.json" ] || fail "a trace was written for a window the run never reached"
[ "$(grep -c 'log.trace: the run ended before step 101' "$work/never.out")" -eq 1 ] \
  || { cat "$work/never.out"; fail "no single warning for a trace window never reached"; }
echo "timeline ok"
