#!/usr/bin/env bash
# No run is ever lost (issue "Trust"), through the real executable on 2 ranks:
#  1. --resume auto over a run whose checkpoints are all of another model, or all corrupt, is
#     refused with each checkpoint's reason, and no file of the run directory changes;
#  2. a rejected --resume PATH changes nothing in an existing run directory;
#  3. a run killed after its final checkpoint, before model.h5 (the state such a kill leaves: no
#     model.h5, no end record): --resume auto writes model.h5 and the end record as the run would;
#  4. the same with early stopping: model.h5 holds the best epoch's weights (best_model.h5);
#  5. writing model.h5 fails (its name is taken by a directory, as a full disk would fail it): the
#     job fails, and --resume auto afterwards writes model.h5;
#  6. a stale end record of a stopped run is dropped by the resume (tested in resume.sh, part 7).
set -uo pipefail
mpiexec=$1 dptrain=$2 make_data=$3
work=$(mktemp -d /tmp/dptrain-rundir-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$make_data" . > /dev/null
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run ARGS...: dptrain train on 2 ranks, bounded in time
  timeout 120 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml --set train.epochs=4 "$@" < /dev/null
}
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
same_params() { h5diff -q "$1" "$2" /params /params > /dev/null 2>&1 && h5diff -q "$1" "$2" /buffers /buffers > /dev/null 2>&1; }
same_metrics() {  # the epoch and end records agree in everything but timing
  python3 - "$1" "$2" <<'PY'
import json, sys
skip = {"samples_per_s", "elapsed_s", "epoch_s", "data_s", "eval_s", "ranks", "straggler"}  # timings
a = [{k: v for k, v in json.loads(l).items() if k not in skip} for l in open(sys.argv[1])]
b = [{k: v for k, v in json.loads(l).items() if k not in skip} for l in open(sys.argv[2])]
assert a == b, "\n%s\n%s" % (a, b)
PY
}
refused() {  # refused DIR REGEX ARGS...: the run must fail with REGEX and leave DIR unchanged
  local dir=$1 re=$2; shift 2
  local before out rc
  before=$(sums "$dir")
  out=$(run "$@" 2>&1); rc=$?
  [ $rc -ne 0 ] || { echo "$out"; fail "exit 0, expected a refusal"; }
  grep -qE -- "$re" <<<"$out" || { echo "$out"; fail "no line matches: $re"; }
  [ "$(grep -c 'error:' <<<"$out")" -eq 1 ] || { echo "$out"; fail "expected exactly one error line"; }
  [ "$(sums "$dir")" = "$before" ] || fail "the refused start changed files in $dir"
  grep -m1 'error:' <<<"$out"
}

run --out full > full.log 2>&1 || { cat full.log; fail "the reference run failed"; }

# 1. Another model / corrupt checkpoints under --resume auto.
cp -r full other
refused other "other: --resume auto: no checkpoint can continue the run in this directory \(.*\); nothing was changed: start it over with --overwrite, or choose another --out. Rejected: .*ckpt-[0-9]+\.h5: written for another model" \
  --out other --resume auto --set 'model.layers=[{type: dense, units: 5}]'
cp -r full corrupt
for f in corrupt/checkpoints/ckpt-*.h5; do truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"; done
refused corrupt "corrupt: --resume auto: no checkpoint can continue the run .*Rejected: .*ckpt-" --out corrupt --resume auto
echo "ok 1: --resume auto refuses a run it cannot continue, nothing changed"

# 2. A rejected --resume PATH, and --overwrite with --resume.
refused full "error: nothere.h5: " --out full --resume nothere.h5
refused full "error: --overwrite and --resume contradict each other" --out full --resume auto --overwrite
refused full "error: --resume full/checkpoints: is a directory" --out full --resume full/checkpoints
echo "ok 2: refused starts leave the run directory as it was"

# 3. Killed after the final checkpoint, before model.h5: no model.h5, no end record.
cp -r full killed
rm killed/model.h5
grep -v '"event"' full/metrics.jsonl > killed/metrics.jsonl
run --out killed --resume auto > killed.log 2>&1 || { cat killed.log; fail "completing the killed run failed"; }
grep -q "but its model.h5 was never written: writing it from" killed.log || { cat killed.log; fail "no completion message"; }
same_params full/model.h5 killed/model.h5 || fail "the completed model.h5 differs from the uninterrupted run's"
same_metrics full/metrics.jsonl killed/metrics.jsonl || fail "the completed metrics differ"
echo "ok 3: a run killed before model.h5 is completed by --resume auto"

# 4. Early stopping: model.h5 is the best epoch's.
es=(--set data.val_fraction=0.25 --set early_stopping.patience=1 --set early_stopping.min_delta=0.1 --set train.epochs=12)
run --out es "${es[@]}" > es.log 2>&1 || { cat es.log; fail "the early-stopping run failed"; }
grep -q '"reason":"early_stopping"' es/metrics.jsonl || { cat es/metrics.jsonl; fail "the run did not stop early"; }
cp -r es es_killed
rm es_killed/model.h5
grep -v '"event"' es/metrics.jsonl > es_killed/metrics.jsonl
run --out es_killed --resume auto "${es[@]}" > es_killed.log 2>&1 || { cat es_killed.log; fail "completing failed"; }
same_params es/model.h5 es_killed/model.h5 || fail "early stopping: the completed model.h5 is not the best epoch's"
same_metrics es/metrics.jsonl es_killed/metrics.jsonl || fail "early stopping: the completed metrics differ"
echo "ok 4: with early stopping too ($(grep -o '"best_epoch":[0-9]*' es/metrics.jsonl))"

# 5. model.h5 cannot be written: the job fails; the resume writes it.
mkdir -p blocked/model.h5/x
out=$(run --out blocked --overwrite 2>&1) && { echo "$out"; fail "exit 0 although model.h5 could not be written"; }
grep -q "error: blocked/model.h5: cannot move the finished model file into place" <<<"$out" || { echo "$out"; fail "unclear error"; }
rm -r blocked/model.h5
run --out blocked --resume auto > blocked.log 2>&1 || { cat blocked.log; fail "completing the failed run failed"; }
same_params full/model.h5 blocked/model.h5 || fail "the model.h5 written on resume differs"
same_metrics full/metrics.jsonl blocked/metrics.jsonl || fail "metrics after the completed run differ"
echo "ok 5: a failed model.h5 write is completed by --resume auto"
