#!/usr/bin/env bash
# comm.compress: bf16 through the real executable on 2 ranks (overlap on and off, thread and poll):
#  1. the compressed runs train (the loss falls) and differ from float32 (the wire really carries
#     bfloat16), and overlap on/off give the same bits (the same buckets, the same sums);
#  2. a compressed run killed mid-run (SIGKILL of rank 1) and resumed with --resume auto ends
#     bit-identical to the uninterrupted compressed run: bf16 has no state, nothing is lost.
set -uo pipefail
mpiexec=$1 dptrain=$2 make_data=$3
work=$(mktemp -d /tmp/dptrain-compress-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$make_data" . > /dev/null
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run ARGS...: 2 ranks, 8 epochs of 4 steps, checkpoints every 5 steps
  timeout 120 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml --set train.epochs=8 \
    --set checkpoint.every_steps=5 --set checkpoint.every_epoch=false "$@" < /dev/null
}
same_params() { h5diff -q "$1" "$2" /params /params > /dev/null 2>&1; }
loss_of() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])])["train_loss"])' "$1" "$2"; }

run --out plain > plain.log 2>&1 || { cat plain.log; fail "float32 run"; }
run --out bf16 --set comm.compress=bf16 > bf16.log 2>&1 || { cat bf16.log; fail "bf16 run"; }
run --out bf16_off --set comm.compress=bf16 --set comm.overlap=false > off.log 2>&1 || { cat off.log; fail "overlap off"; }
run --out bf16_poll --set comm.compress=bf16 --set comm.progress=poll > poll.log 2>&1 || { cat poll.log; fail "poll"; }
same_params plain/model.h5 bf16/model.h5 && fail "bf16 gave the float32 run's bits: nothing was compressed"
same_params bf16/model.h5 bf16_off/model.h5 || fail "bf16: overlap on and off differ"
same_params bf16/model.h5 bf16_poll/model.h5 || fail "bf16: thread and poll progress differ"
python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); assert b < 0.9 * a, (a, b)' \
  "$(loss_of bf16/metrics.jsonl 0)" "$(loss_of bf16/metrics.jsonl 7)" || fail "bf16: the training loss did not fall"
echo "ok: bf16 trains, differs from float32, same bits with overlap on/off and thread/poll"
# 3 ranks (Open MPI's sum of 3 is not a single pairwise add) and micro-batches.
run3() { timeout 120 "$mpiexec" -n 3 "$dptrain" train -q -c good.yaml --set train.epochs=4 --set comm.compress=bf16 "$@" < /dev/null; }
run3 --out r3 > r3.log 2>&1 || { cat r3.log; fail "3 ranks"; }
run3 --out r3_off --set comm.overlap=false --set comm.progress=poll > r3off.log 2>&1 || { cat r3off.log; fail "3 ranks off"; }
same_params r3/model.h5 r3_off/model.h5 || fail "bf16 on 3 ranks: overlap on (thread) and off (poll) differ"
run3 --out r3_acc --set train.grad_accumulation=2 > r3acc.log 2>&1 || { cat r3acc.log; fail "3 ranks, 2 micro-batches"; }
echo "ok: bf16 on 3 ranks: overlap/progress modes agree; with train.grad_accumulation=2 it trains"

call=$(( 40 + RANDOM % 30 ))
DPTRAIN_FAULT="kill:rank=1:call=$call" run --out crash --set comm.compress=bf16 > crash.log 2>&1 \
  && fail "the killed run exited 0"
ls crash/checkpoints/ckpt-*.h5 > /dev/null 2>&1 || { cat crash.log; fail "no checkpoint before the crash (call $call)"; }
run --out crash --set comm.compress=bf16 --resume auto > resume.log 2>&1 || { cat resume.log; fail "resume"; }
same_params bf16/model.h5 crash/model.h5 || fail "bf16: killed at call $call and resumed: other bits than uninterrupted"
echo "ok: bf16 killed at collective call $call and resumed: bit-identical"

# comm.compress: powersgd: trains, differs from float32, and a run killed mid-way resumes
# bit-identical (each rank's error feedback and factors are in the checkpoint).
run --out psgd --set comm.compress=powersgd --set comm.powersgd_rank=2 > psgd.log 2>&1 || { cat psgd.log; fail "powersgd run"; }
same_params plain/model.h5 psgd/model.h5 && fail "powersgd gave the float32 run's bits: nothing was compressed"
python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); assert b < 0.9 * a, (a, b)' \
  "$(loss_of psgd/metrics.jsonl 0)" "$(loss_of psgd/metrics.jsonl 7)" || fail "powersgd: the training loss did not fall"
call=$(( 40 + RANDOM % 30 ))
DPTRAIN_FAULT="kill:rank=1:call=$call" run --out psgd_crash --set comm.compress=powersgd --set comm.powersgd_rank=2 \
  > psgd_crash.log 2>&1 && fail "the killed powersgd run exited 0"
ls psgd_crash/checkpoints/ckpt-*.h5 > /dev/null 2>&1 || { cat psgd_crash.log; fail "powersgd: no checkpoint before the crash (call $call)"; }
run --out psgd_crash --set comm.compress=powersgd --set comm.powersgd_rank=2 --resume auto > psgd_resume.log 2>&1 \
  || { cat psgd_resume.log; fail "powersgd resume"; }
same_params psgd/model.h5 psgd_crash/model.h5 || fail "powersgd: killed at call $call and resumed: other bits than uninterrupted"
echo "ok: powersgd trains, differs from float32, killed at collective call $call and resumed: bit-identical"
