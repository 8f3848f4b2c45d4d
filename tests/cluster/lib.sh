# Helpers for the cluster tests (sourced). Each test prints what it measured and "ok: ..." or
# "FAIL: ..." and exits 0, 1, or 77 (skipped: no root, packages or namespaces).
set -uo pipefail
export LC_ALL=C
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }
need_slurm() {
  need_root
  for b in slurmctld slurmd munged sbatch; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || skip "$b not installed (cluster/install-deps.sh --slurm)"
  done
}
need_netns() {
  need_root
  command -v ip >/dev/null && command -v nsenter >/dev/null || skip "iproute2/util-linux missing"
  ip netns add dpt-probe-$$ 2>/dev/null || skip "cannot create network namespaces here"
  ip netns del dpt-probe-$$
}

# new_work BASE: makes WORK, a fresh directory BASE.XXXXXX (so that two ctest runs of one build
# tree do not share files), with the test data of make_cli_data (DPTRAIN_MAKE_DATA) in
# $WORK/data; WORK is removed when the test passes and kept (and named) when it fails.
new_work() {
  mkdir -p "$(dirname "$1")"
  WORK=$(mktemp -d "$1.XXXXXX") || fail "cannot make a directory next to $1"
  trap 'rc=$?; if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo "(files of this test kept in $WORK)" >&2; fi' EXIT
  local gen=${DPTRAIN_MAKE_DATA:-}
  [ -x "$gen" ] || fail "DPTRAIN_MAKE_DATA must name the make_cli_data executable (got '$gen')"
  "$gen" "$WORK/data" > /dev/null || fail "$gen $WORK/data failed"
}

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }   # secs START END
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }             # le A B: A <= B

# timed_run LIMIT OUT COMMAND...: runs COMMAND (killed after LIMIT s) with stdin from /dev/null;
# every output line goes to OUT prefixed with its arrival time. Sets RC and T_END (when the last
# process holding the output ended).
timed_run() {
  local limit=$1 out=$2
  shift 2
  timeout -k 5 "$limit" "$@" < /dev/null 2>&1 | while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done > "$out"
  RC=${PIPESTATUS[0]}
  T_END=$(now)
}
# first_at REGEX OUT: arrival time of the first line of OUT matching REGEX (empty if none)
first_at() { awk -v re="$1" '{ t = $1; sub(/^[^ ]+ /, "") } $0 ~ re { print t; exit }' "$2"; }
show() { sed 's/^[^ ]* //' "$1"; }   # OUT without the time stamps

# same_results A B: metrics.jsonl of run dirs A and B agree in every field except the timings
# (the per-rank step times "ranks" and "straggler" included).
same_results() {
  [ -s "$1/metrics.jsonl" ] || fail "$1/metrics.jsonl missing"
  [ -s "$2/metrics.jsonl" ] || fail "$2/metrics.jsonl missing"
  python3 - "$1/metrics.jsonl" "$2/metrics.jsonl" <<'PY' >&2 || fail "metrics of $1 and $2 differ"
import json, sys
skip = {"samples_per_s", "elapsed_s", "epoch_s", "data_s", "eval_s", "ranks", "straggler"}
a, b = ([{k: v for k, v in json.loads(l).items() if k not in skip} for l in open(p)] for p in sys.argv[1:3])
for x, y in zip(a, b):
    assert x == y, "\n%s\n%s" % (x, y)
assert len(a) == len(b), (len(a), len(b))
PY
}

# wait_job JOBID LIMIT [CMD_PREFIX...]: waits until the Slurm job has left the queue; sets JOB_STATE,
# JOB_EXIT, JOB_RESTARTS from scontrol and T_END.
wait_job() {
  local jid=$1 limit=$2
  shift 2
  local deadline s info
  deadline=$(awk -v t="$(now)" -v l="$limit" 'BEGIN { printf "%.3f", t + l }')
  while :; do
    s=$("$@" timeout 10 squeue -h -j "$jid" -o %T 2>/dev/null)
    [ -z "$s" ] && break
    le "$(now)" "$deadline" || { "$@" scancel "$jid"; fail "job $jid still $s after $limit s"; }
    sleep 0.1
  done
  T_END=$(now)
  info=$("$@" scontrol -o show job "$jid")
  JOB_STATE=$(grep -o 'JobState=[A-Z_]*' <<<"$info" | cut -d= -f2)
  JOB_EXIT=$(grep -o ' ExitCode=[0-9:]*' <<<"$info" | cut -d= -f2)
  JOB_RESTARTS=$(grep -o 'Restarts=[0-9]*' <<<"$info" | cut -d= -f2)
}
