#!/usr/bin/env bash
# slurm.sh MODE REPO DPTRAIN WORK_BASE: run inside `cluster/with-cluster.sh --slurm DIR`
# (MODE nodes2 also with --netns). Submits launch/slurm.sbatch to the real local Slurm.
#   job      2 ranks on 1 node: COMPLETED, exit 0:0, metrics.jsonl written and bit-identical to
#            the same training under mpirun
#   requeue  USR1 (what Slurm sends before the time limit, --signal=B:USR1@300) mid-run: the
#            script requeues the job, which restarts with --resume auto and completes (if this
#            dptrain has no --resume: the script must say so and not requeue)
#   kill     rank 1 SIGKILLs itself: srun --kill-on-bad-exit ends the job (FAILED) within 10 s,
#            the log names task 1
#   watchdog rank 1 stalls, DPTRAIN_WATCHDOG_TIMEOUT=3: the job FAILS within 3 + 7 s, the log
#            names rank 1 and the collective
#   nodes2   2 Slurm nodes h1, h2 (network namespaces), one rank each over TCP: COMPLETED and
#            bit-identical to the mpirun run
source "$(dirname "$0")/lib.sh"
[ $# -eq 4 ] || { echo "usage: DPTRAIN_MAKE_DATA=make_cli_data slurm.sh MODE REPO DPTRAIN WORK_BASE" >&2; exit 2; }
mode=$1 repo=$2 bin=$3
[ -n "${SLURM_CONF:-}" ] || fail "SLURM_CONF not set (run under cluster/with-cluster.sh --slurm DIR)"
new_work "$4"
work=$WORK
cd "$work/data" || fail "no test data"
unset DPTRAIN_FAULT DPTRAIN_WATCHDOG_TIMEOUT OMPI_MCA_hwloc_base_binding_policy OMPI_MCA_rmaps_base_oversubscribe
export DPTRAIN_BIN=$bin
train=(-q --set train.epochs=6)   # after the config file: slurm.sbatch CONFIG [train options]
log=$work/job.out
on=()                                  # where the Slurm clients run
[ "$mode" = nodes2 ] && on=("$repo/cluster/nsrun.sh" h1)
submit() {  # submit SBATCH_OPTIONS... -- TRAIN_OPTIONS...: sets JID
  local sb=()
  while [ "$1" != -- ]; do sb+=("$1"); shift; done
  shift
  JID=$("${on[@]}" sbatch --parsable -o "$log" "${sb[@]}" "$repo/launch/slurm.sbatch" "$@") || fail "sbatch failed"
  T_SUBMIT=$(now)
}
# watch_job LIMIT MARKER_REGEX: waits for the job to leave the queue, noting when MARKER first
# appeared in its log (T_MARK; polled every 0.1 s)
watch_job() {
  local limit=$1 re=$2 deadline s
  T_MARK=""
  deadline=$(awk -v t="$(now)" -v l="$limit" 'BEGIN { printf "%.3f", t + l }')
  while :; do
    [ -z "$T_MARK" ] && [ -f "$log" ] && grep -qE -- "$re" "$log" && T_MARK=$(now)
    s=$("${on[@]}" timeout 10 squeue -h -j "$JID" -o %T 2>/dev/null)
    [ -z "$s" ] && break
    le "$(now)" "$deadline" || { cat "$log"; "${on[@]}" scancel "$JID"; fail "job $JID still $s after $limit s"; }
    sleep 0.1
  done
  wait_job "$JID" 10 "${on[@]}"
}
mpirun_reference() {  # the same training under mpirun on this machine
  timed_run 120 "$work/ref.out" mpirun -np 2 --bind-to core "$bin" train -c good.yaml "${train[@]}" --set runtime.threads=1 \
    --out "$work/ref"
  [ "$RC" -eq 0 ] || { show "$work/ref.out"; fail "mpirun reference run failed"; }
}
expect_log() { grep -qE -- "$1" "$log" || { cat "$log"; fail "job log: no line matches: $1"; }; }

case "$mode" in
  job)
    submit -N1 -n2 --ntasks-per-node=2 -c1 -- good.yaml "${train[@]}" --out "$work/run"
    watch_job 60 'final test accuracy'
    [ "$JOB_STATE" = COMPLETED ] && [ "$JOB_EXIT" = 0:0 ] || { cat "$log"; fail "job $JID: $JOB_STATE $JOB_EXIT"; }
    expect_log 'slurm.sbatch: job [0-9]+ .* 2 ranks x 1 threads'
    [ "$(grep -c '"epoch":' "$work/run/metrics.jsonl")" -ge 6 ] || fail "metrics.jsonl has fewer than 6 epochs"
    mpirun_reference
    same_results "$work/ref" "$work/run"
    echo "ok: sbatch job $JID COMPLETED (exit $JOB_EXIT) $(secs "$T_SUBMIT" "$T_END") s after submission; metrics.jsonl bit-identical to mpirun's"
    ;;
  requeue)
    # Checkpoints every epoch (the default where they exist). So that the signal surely comes
    # mid-run, every rank pauses 2 s before its 40th collective; USR1 is sent during that pause.
    DPTRAIN_FAULT='sleep:rank=*:call=40:secs=2' \
      submit -N1 -n2 --ntasks-per-node=2 -c1 -- good.yaml -q --set train.epochs=16 --out "$work/run"
    for _ in $(seq 1 300); do
      grep -q 'DPTRAIN_FAULT.*sleeping' "$log" 2>/dev/null && break
      sleep 0.1
    done
    grep -q 'DPTRAIN_FAULT.*sleeping' "$log" || { cat "$log"; fail "the job did not reach its pause"; }
    "${on[@]}" scancel --batch --signal=USR1 "$JID" || fail "scancel --signal=USR1 failed"
    watch_job 90 'srun exited'
    expect_log 'requeueing job'
    expect_log 'resumed from .*ckpt'
    [ "$JOB_RESTARTS" = 1 ] && [ "$JOB_STATE" = COMPLETED ] || { cat "$log"; fail "job $JID: $JOB_STATE, $JOB_RESTARTS restarts"; }
    grep -q '"epoch":16,' "$work/run/metrics.jsonl" || fail "the resumed run did not reach epoch 16"
    echo "ok: USR1 -> requeued -> resumed from a checkpoint -> COMPLETED; $(secs "$T_SUBMIT" "$T_END") s in all"
    ;;
  kill)
    DPTRAIN_FAULT="kill:rank=1:call=20" submit -N1 -n2 --ntasks-per-node=2 -c1 -- good.yaml "${train[@]}" --set train.epochs=50 --out "$work/run"
    watch_job 60 'DPTRAIN_FAULT.*SIGKILL'
    [ "$JOB_STATE" = FAILED ] || { cat "$log"; fail "job $JID: $JOB_STATE (expected FAILED)"; }
    [ -n "$T_MARK" ] || { cat "$log"; fail "no fault line in the log"; }
    took=$(secs "$T_MARK" "$T_END")
    le "$took" 10 || { cat "$log"; fail "the job took $took s to end after rank 1 died (bound 10 s)"; }
    expect_log 'srun: error: .*: task 1: Killed'
    echo "ok: rank 1 SIGKILLed under srun: job FAILED (exit $JOB_EXIT) ~$took s later; $(grep -m1 -o 'srun: error: .*task 1: Killed' "$log")"
    ;;
  watchdog)
    DPTRAIN_WATCHDOG_TIMEOUT=3 DPTRAIN_FAULT="stall:rank=1:call=20" \
      submit -N1 -n2 --ntasks-per-node=2 -c1 -- good.yaml "${train[@]}" --set train.epochs=50 --out "$work/run"
    watch_job 60 'DPTRAIN_FAULT.*stalling'
    [ "$JOB_STATE" = FAILED ] || { cat "$log"; fail "job $JID: $JOB_STATE (expected FAILED)"; }
    [ -n "$T_MARK" ] || { cat "$log"; fail "no stall line in the log"; }
    took=$(secs "$T_MARK" "$T_END")
    le "$took" 10 || { cat "$log"; fail "the job took $took s to end after rank 1 stalled (bound 3 + 7 s)"; }
    expect_log '^\[rank 0\] error: watchdog: rank 1 did not reach [a-z_]+ #(20|21|22) .*within 3 s'
    echo "ok: rank 1 stalled under srun: the watchdog (3 s) failed the job ~$took s later"
    ;;
  nodes2)
    submit -N2 --ntasks-per-node=1 -c1 -- good.yaml "${train[@]}" --out "$work/run"
    watch_job 60 'final test accuracy'
    [ "$JOB_STATE" = COMPLETED ] && [ "$JOB_EXIT" = 0:0 ] || { cat "$log"; fail "job $JID: $JOB_STATE $JOB_EXIT"; }
    expect_log 'slurm.sbatch: job [0-9]+ .* on h\[1-2\]: 2 ranks x 1 threads'
    mpirun_reference
    same_results "$work/ref" "$work/run"
    echo "ok: 2-node job $JID on h1+h2 (TCP) COMPLETED $(secs "$T_SUBMIT" "$T_END") s after submission; bit-identical to mpirun on one node"
    ;;
  *) echo "slurm.sh: unknown mode $mode" >&2; exit 2 ;;
esac
