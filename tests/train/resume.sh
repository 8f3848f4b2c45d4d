#!/usr/bin/env bash
# Checkpoint/resume through the real executable:
#  1. a run killed by SIGKILL (one rank, mid-epoch) and resumed with --resume auto on the same rank
#     count ends with parameters bit-identical to an uninterrupted run;
#  2. resuming the same crash on 1, 3 and 4 ranks ends within 1e-4 of it (rank-count change);
#  1b. one rank stopped at an epoch boundary and resumed is bit-identical;
#  3. a torn newest checkpoint is skipped with a warning and the previous one is used;
#  4. a checkpoint of another architecture is refused with a clear error; 5. inspect;
#  6. resuming a finished run changes nothing; 7. SIGUSR1 through mpiexec checkpoints and stops.
set -uo pipefail
mpiexec=$1 dptrain=$2 make_data=$3
work=$(mktemp -d /tmp/dptrain-resume-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$make_data" . > /dev/null
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run NP ARGS...: dptrain train on NP ranks, bounded in time
  local np=$1; shift
  timeout 120 "$mpiexec" -n "$np" "$dptrain" train -q -c good.yaml --set train.epochs=12 \
    --set checkpoint.every_steps=5 --set checkpoint.every_epoch=false --set optimizer.name=adam --set optimizer.lr=0.01 "$@" < /dev/null
}
same_params() { h5diff -q "$1" "$2" /params /params > /dev/null 2>&1 && h5diff -q "$1" "$2" /buffers /buffers > /dev/null 2>&1; }

run 2 --out full > full.log 2>&1 || { cat full.log; fail "uninterrupted run failed"; }
[ -s full/model.h5 ] || fail "no model.h5"

# 1. SIGKILL of rank 1 before a random collective call (mid-run), then resume on 2 ranks.
#    Checkpoints every 5 steps with 4 steps per epoch: the newest one is mid-epoch.
call=$(( 45 + RANDOM % 40 ))
echo "killing rank 1 before its collective call $call"
DPTRAIN_FAULT="kill:rank=1:call=$call" run 2 --out crash > crash.log 2>&1 && fail "the killed run exited 0"
[ -e crash/model.h5 ] && fail "a killed run wrote model.h5"
ls crash/checkpoints/ckpt-*.h5 > /dev/null 2>&1 || fail "no checkpoint before the crash"
cp -r crash crash1 && cp -r crash crash3 && cp -r crash crash4 && cp -r crash crash_ckpt
# The torn-checkpoint case needs an older checkpoint to fall back to: the finished run has them all
# (the crash may have come before its second one).
cp -r full torn
run 2 --out crash --resume auto > resume.log 2>&1 || { cat resume.log; fail "resume failed"; }
grep -qE "resumed from .*ckpt-.* at step [0-9]+ \(epoch [0-9]+, step [0-9]+ of it\)" resume.log \
  || { cat resume.log; fail "resume did not load a checkpoint"; }
same_params full/model.h5 crash/model.h5 || fail "resumed run differs from the uninterrupted run (same rank count)"
python3 - full/metrics.jsonl crash/metrics.jsonl <<'PY' || fail "metrics.jsonl of the resumed run differ"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert (x.get("epoch"), x.get("step"), x.get("test_accuracy"), x.get("test_loss")) == \
           (y.get("epoch"), y.get("step"), y.get("test_accuracy"), y.get("test_loss")), (x, y)
    # The epoch's mean training loss is summed per step, then in step order: a resumed epoch
    # reports exactly the uninterrupted one's.
    assert x.get("train_loss") == y.get("train_loss"), (x, y)
    assert x.get("event") == y.get("event"), (x, y)
PY
echo "ok 1: kill -9 + resume on 2 ranks is bit-identical"

# 2. The same crash resumed on 1 and on 3 ranks.
for np in 1 3 4; do
  run $np --out crash$np --resume auto > resume$np.log 2>&1 || { cat resume$np.log; fail "resume on $np ranks failed"; }
  grep -qE "resumed from .*ckpt-.* on $np ranks" resume$np.log || { cat resume$np.log; fail "nothing resumed on $np ranks"; }
  # Another rank count sums gradients in another order: equal to float rounding, not bitwise.
  h5diff -q -p 1e-4 full/model.h5 crash$np/model.h5 /params /params > /dev/null || fail "resume on $np ranks drifted"
  echo "ok 2: resume on $np ranks matches (relative 1e-4 per value)"
done

# 1b. One rank, stopped at an epoch boundary (max_steps 20 = 5 epochs) and resumed: bit-identical.
run 1 --out one_full > one_full.log 2>&1 || { cat one_full.log; fail "1-rank run failed"; }
run 1 --out one_stop --set train.max_steps=20 --set checkpoint.every_epoch=true > one_stop.log 2>&1 || fail "1-rank stop"
run 1 --out one_stop --resume auto > one_resume.log 2>&1 || { cat one_resume.log; fail "1-rank resume failed"; }
grep -qE "at step 20 \(epoch 6, step 0 of it\)" one_resume.log || { cat one_resume.log; fail "not resumed at the epoch boundary"; }
same_params one_full/model.h5 one_stop/model.h5 || fail "1-rank resume at an epoch boundary is not bit-identical"
echo "ok 1b: 1 rank, epoch boundary, bit-identical"

# 3. A torn newest checkpoint: truncated to half its size -> skipped with a warning.
newest=$(ls torn/checkpoints/ckpt-*.h5 | tail -1)
info=$("$dptrain" inspect "$newest")  # (captured: a grep -q that stops reading early fails a pipefail pipeline)
grep -q "integrity        ok" <<<"$info" || fail "inspect does not vouch for a good checkpoint"
"$dptrain" inspect "$(ls crash_ckpt/checkpoints/ckpt-*.h5 | tail -1)" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["step"] > 0 and j["trainer_state"]["step_in_epoch"] > 0, j' \
  || fail "inspect --json lacks the position in the epoch"
truncate -s $(( $(stat -c %s "$newest") / 2 )) "$newest"
info=$("$dptrain" inspect "$newest" 2>&1) && { echo "$info"; fail "inspect exits 0 for a truncated checkpoint"; }
grep -q "integrity        ok" <<<"$info" && fail "inspect vouches for a truncated checkpoint"
run 2 --out torn --resume auto > torn.log 2>&1 || { cat torn.log; fail "resume after a torn checkpoint failed"; }
grep -q "warn.*skipping checkpoint $newest" torn.log || { cat torn.log; fail "no warning about the torn checkpoint"; }
same_params full/model.h5 torn/model.h5 || fail "resume from the previous checkpoint is not bit-identical"
echo "ok 3: torn checkpoint skipped"

# 4. Another architecture.
ckpt=$(ls full/checkpoints/ckpt-*.h5 | tail -1)
out=$(timeout 60 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml --set 'model.layers=[{type: dense, units: 4}]' \
      --out other --resume "$ckpt" 2>&1 < /dev/null) && fail "a checkpoint of another model was accepted"
grep -q "error: $ckpt: written for another model" <<<"$out" || { echo "$out"; fail "unclear error"; }
[ -e other ] && fail "a refused start left the directory 'other' behind"
echo "ok 4: other architecture refused"
info=$("$dptrain" inspect full/model.h5)
grep -q "dptrain-model" <<<"$info" || { echo "$info"; fail "inspect of a model file"; }
echo "ok 5: inspect"


# 6. --resume auto of a run that already ended: nothing trained, nothing rewritten, exit 0.
sums=$(md5sum full/model.h5 full/metrics.jsonl)
run 2 --out full --resume auto > again.log 2>&1 || { cat again.log; fail "resuming a finished run failed"; }
grep -q "already finished at step" again.log || { cat again.log; fail "no 'already finished' message"; }
[ "$(md5sum full/model.h5 full/metrics.jsonl)" = "$sums" ] || fail "resuming a finished run rewrote its files"
echo "ok 6: a finished run is left alone"

# 7. SIGUSR1 to mpiexec mid-run (mpiexec forwards it to every rank; its own SIGTERM would kill them
#    within ~1 s): the ranks checkpoint and exit 143; --resume auto ends bit-identical to the full run.
DPTRAIN_FAULT="sleep:rank=*:call=60:secs=2" timeout 120 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml \
  --set train.epochs=12 --set checkpoint.every_steps=5 --set checkpoint.every_epoch=false --set optimizer.name=adam \
  --set optimizer.lr=0.01 --out usr1 < /dev/null > usr1.log 2>&1 &
tpid=$!
for _ in $(seq 300); do
  [ -f usr1/metrics.jsonl ] && [ "$(wc -l < usr1/metrics.jsonl)" -ge 2 ] && break
  sleep 0.1
done
kill -USR1 "$(pgrep -P "$tpid" -x "$(basename "$mpiexec")" || pgrep -P "$tpid" | head -1)"
wait "$tpid"
rc=$?
[ "$rc" -eq 143 ] || { cat usr1.log; fail "SIGUSR1: exit $rc, expected 143"; }
grep -q "stopped by signal 10 at step" usr1.log || { cat usr1.log; fail "no 'stopped by signal' line"; }
[ -e usr1/model.h5 ] && fail "a stopped run wrote model.h5"
run 2 --out usr1 --resume auto > usr1_resume.log 2>&1 || { cat usr1_resume.log; fail "resume after SIGUSR1 failed"; }
same_params full/model.h5 usr1/model.h5 || fail "resume after SIGUSR1 is not bit-identical"
python3 - full/metrics.jsonl usr1/metrics.jsonl <<'PY' || fail "metrics.jsonl after the SIGUSR1 resume differ"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert [x.get("event") for x in b] == [x.get("event") for x in a], "stale end record: %s" % [x.get("event") for x in b]
for x, y in zip(a, b):
    assert (x.get("epoch"), x.get("step"), x.get("train_loss"), x.get("test_loss")) == \
           (y.get("epoch"), y.get("step"), y.get("train_loss"), y.get("test_loss")), (x, y)
PY
echo "ok 7: SIGUSR1 through mpiexec checkpoints, resume is bit-identical"
