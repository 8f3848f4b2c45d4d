#!/usr/bin/env bash
# launch/sweep.sh GRID.yaml --out SWEEP_DIR [--local] [--parallel K] [sbatch options...]
#   A sweep: every point of GRID.yaml's grid (the full product, or `random: N` points of it) is one
#   dptrain run in SWEEP_DIR/<key=value,...>. `dptrain sweep-plan` expands and checks the grid before
#   anything is written, then writes SWEEP_DIR/sweep.yaml and points.tsv. The points run as ONE Slurm
#   job array (sbatch --array=0-(N-1) launch/sweep.sbatch; one task per point, each with `ranks:` MPI
#   ranks, its log in SWEEP_DIR/logs/JOBID_TASK.out; --parallel K: at most K tasks at once), or with
#   --local one after another on this machine through launch/local.sh (logs SWEEP_DIR/logs/local-I.out).
#   Every point runs with --resume auto: the same sweep into the same SWEEP_DIR resumes it (finished
#   points are not trained again); a different grid, or a directory that is not a sweep, is refused.
#   Example: launch/sweep.sh launch/sweeps/fashion_mlp_lr.yaml --out runs/sweep -c 8 --time=1:00:00
#   Then:    dptrain compare runs/sweep   (one row per point, best first)   docs/cluster.md: Sweeps
set -euo pipefail
usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "sweep.sh: $*" >&2
  exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] && [ "${1:0:1}" != - ] || usage
grid=$1
shift
out="" local=0 parallel="" sbatch_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out | -o) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --local) local=1; shift ;;
    --parallel) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--parallel needs a positive integer, got '${2:-}'"
      parallel=$2; shift 2 ;;
    -h | --help) usage ;;
    *) sbatch_args+=("$1"); shift ;;
  esac
done
[ -n "$out" ] || die "--out SWEEP_DIR is missing"
[ $local -eq 0 ] || [ ${#sbatch_args[@]} -eq 0 ] || die "--local takes no sbatch options (got: ${sbatch_args[*]})"
bin=${DPTRAIN_BIN:-$root/build/src/dptrain}
[ -x "$bin" ] || die "$bin not built (run: cmake -S . -B build && cmake --build build)"
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
if [ $local -eq 0 ]; then
  command -v sbatch > /dev/null || die "sbatch not found: no Slurm here (--local runs the points on this machine)"
  # The same sweep twice at once would run each point twice into one directory.
  if [ -s "$out/jobs" ]; then
    last=$(tail -n 1 "$out/jobs" | cut -d' ' -f1)
    if [ -n "$(squeue -h -j "$last" -o %i 2> /dev/null)" ]; then
      die "$out: its array job $last is still queued or running (squeue -j $last); wait for it or scancel $last"
    fi
  fi
fi

# The plan: "points=N ranks=R resume=0|1" on stdout; errors are one line from dptrain, nothing written.
plan=$("$bin" sweep-plan "$grid" --out "$out" < /dev/null) || exit $?
[[ "$plan" =~ points=([0-9]+)\ ranks=([0-9]+)\ resume=([01]) ]] || die "unexpected answer from dptrain sweep-plan: $plan"
points=${BASH_REMATCH[1]} ranks=${BASH_REMATCH[2]} resume=${BASH_REMATCH[3]}
mkdir -p "$out/logs"
out_abs=$(cd "$out" && pwd)
[ "$resume" = 1 ] && echo "sweep.sh: $out holds this sweep already: resuming it (finished points are not trained again)"

if [ $local -eq 0 ]; then
  array="0-$((points - 1))${parallel:+%$parallel}"
  jid=$(DPTRAIN_BIN=$bin sbatch --parsable --array="$array" --ntasks="$ranks" --job-name="sweep-$(basename "$out_abs")" \
    --output="$out_abs/logs/%A_%a.out" ${sbatch_args[@]+"${sbatch_args[@]}"} \
    "$root/launch/sweep.sbatch" "$out_abs" "$root/launch") || die "sbatch failed"
  jid=${jid%%;*}
  echo "$jid $(date -Is)" >> "$out/jobs"
  echo "sweep.sh: submitted job array $jid: $points points x $ranks ranks; logs $out/logs/${jid}_<task>.out"
  echo "sweep.sh: progress: squeue -j $jid; results: $bin compare $out"
  exit 0
fi

mapfile -t lines < <(tail -n +2 "$out/points.tsv")
failed=()
for line in "${lines[@]}"; do
  IFS=$'\t' read -r -a f <<< "$line"
  sets=()
  for s in "${f[@]:3}"; do sets+=(--set "$s"); done
  echo "sweep.sh: point $((f[0] + 1))/$points: ${f[1]}"
  if ! DPTRAIN_BIN=$bin "$root/launch/local.sh" "$ranks" "${f[2]}" --out "$out/${f[1]}" --resume auto "${sets[@]}" \
    < /dev/null 2>&1 | tee -a "$out/logs/local-${f[0]}.out"; then
    failed+=("${f[0]}")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "sweep.sh: ${#failed[@]} of $points points failed: ${failed[*]} (logs in $out/logs/local-<point>.out)" >&2
  exit 1
fi
echo "sweep.sh: $points points done; results: $bin compare $out"
