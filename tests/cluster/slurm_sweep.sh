#!/usr/bin/env bash
# slurm_sweep.sh REPO DPTRAIN WORK_BASE: run inside `cluster/with-cluster.sh --slurm DIR`.
# launch/sweep.sh submits a 4-point sweep (2 ranks per point) as ONE job array to the real local
# Slurm: every task COMPLETES, each point's run directory has model.h5 and its own log
# (SWEEP/logs/JOBID_TASK.out) with the task's point, dptrain's progress lines and its result;
# `dptrain compare` ranks 4 done rows. The same sweep submitted again resumes: every task ends at
# once ("already finished"), no file of the points changes (but train.log, which logs the attempt).
source "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || { echo "usage: DPTRAIN_MAKE_DATA=make_cli_data slurm_sweep.sh REPO DPTRAIN WORK_BASE" >&2; exit 2; }
repo=$1 bin=$2
[ -n "${SLURM_CONF:-}" ] || fail "SLURM_CONF not set (run under cluster/with-cluster.sh --slurm DIR)"
new_work "$3"
cd "$WORK/data" || fail "no test data"
unset DPTRAIN_FAULT DPTRAIN_WATCHDOG_TIMEOUT OMPI_MCA_hwloc_base_binding_policy OMPI_MCA_rmaps_base_oversubscribe
export DPTRAIN_BIN=$bin
# Steps of a few microseconds finish an epoch before the first progress interval: rank 0 sleeps
# 15 ms per step (test-only hook, train/rank_timeline.hpp) so that every task prints progress lines.
export DPTRAIN_TEST_SLOW_RANK=0:15
printf '%s\n' "config: good.yaml" "ranks: 2" "grid:" "  optimizer.lr: [0.01, 0.3]" "  train.batch_size: [8, 32]" \
  "set: {train.epochs: 4, log.progress_interval: 0.01}" > grid.yaml
sums() { (cd sweep && find . -type f ! -path './logs/*' ! -name jobs ! -name train.log -print0 | sort -z | xargs -0 sha256sum); }

# submit: launch/sweep.sh onto Slurm, one rank per core; sets JID, T_SUBMIT
submit() {
  local out
  out=$(bash "$repo/launch/sweep.sh" grid.yaml --out sweep -N1 -c1 2>&1 < /dev/null) || fail "sweep.sh failed: $out"
  echo "$out"
  JID=$(grep -oE 'submitted job array [0-9]+' <<< "$out" | grep -oE '[0-9]+$') || fail "no job id in: $out"
  T_SUBMIT=$(now)
}
# wait_array LIMIT: until no task of the array is queued or running; then every task must be COMPLETED
wait_array() {
  local deadline info
  deadline=$(awk -v t="$(now)" -v l="$1" 'BEGIN { printf "%.3f", t + l }')
  while [ -n "$(timeout 10 squeue -h -j "$JID" -o %i 2> /dev/null)" ]; do
    le "$(now)" "$deadline" || { scancel "$JID"; fail "array $JID still in the queue after $1 s"; }
    sleep 0.2
  done
  T_END=$(now)
  info=$(scontrol -o show job "$JID")
  [ "$(grep -c 'JobState=COMPLETED' <<< "$info")" -eq 4 ] || { cat sweep/logs/*; echo "$info"; fail "not 4 COMPLETED tasks"; }
}

submit
wait_array 180
echo "ok: array $JID: 4 tasks COMPLETED $(secs "$T_SUBMIT" "$T_END") s after submission"
for i in 0 1 2 3; do
  log=sweep/logs/${JID}_$i.out
  run=$(awk -F'\t' -v i="$i" 'NR > 1 && $1 == i { print $2 }' sweep/points.tsv)
  [ -s "sweep/$run/model.h5" ] || fail "sweep/$run/model.h5 missing"
  [ -s "$log" ] || fail "$log missing"
  grep -q "sweep.sbatch: array job $JID task $i: point $run" "$log" || { cat "$log"; fail "$log does not name its point"; }
  grep -qE 'slurm.sbatch: job [0-9]+ .* 2 ranks x 1 threads' "$log" || { cat "$log"; fail "$log: no slurm.sbatch line"; }
  grep -q 'progress: epoch' "$log" || { cat "$log"; fail "$log: no progress line"; }
  grep -q 'final test accuracy' "$log" || { cat "$log"; fail "$log: no result line"; }
done
echo "ok: each point has model.h5 and its own log with its point, progress lines and its result"
table=$("$bin" compare sweep 2> /dev/null) || fail "compare failed"
echo "$table"
[ "$(grep -c ' done$' <<< "$table")" -eq 4 ] || fail "compare does not show 4 done rows"
acc=$(tail -n +2 <<< "$table" | awk '{ print $4 }')
[ "$acc" = "$(sort -gr <<< "$acc")" ] || fail "compare's rows are not in descending test accuracy: $acc"
echo "ok: compare ranks 4 rows by test accuracy"

before=$(sums)
submit
wait_array 120
[ "$(cat sweep/logs/"${JID}"_*.out | grep -c '^\[rank 0\] warning: .* already finished')" -eq 4 ] || { cat sweep/logs/"${JID}"_*.out; fail "the resubmitted sweep did not find 4 finished points"; }
[ "$(sums)" = "$before" ] || fail "the resubmitted sweep changed files of its points"
echo "ok: the same sweep resubmitted (array $JID): 4 points already finished, nothing changed, $(secs "$T_SUBMIT" "$T_END") s"
