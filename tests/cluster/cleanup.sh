#!/usr/bin/env bash
# cleanup.sh REPO WORK_BASE: the cluster scripts leave nothing behind, also when the test using them
# fails or is killed, and they are idempotent.
#   1. cluster/with-cluster.sh --netns --slurm: the command fails (exit 7) -> exit 7, no daemon,
#      no namespace left
#   2. SIGTERM to with-cluster.sh while a Slurm job runs -> exit 143, daemons and the job's
#      processes gone
#   3. up twice (reused), a daemon dies (as after a SIGKILLed test), up again (restarts cleanly),
#      down twice; netns-up twice, netns-down twice
source "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || { echo "usage: cleanup.sh REPO WORK_BASE" >&2; exit 2; }
repo=$1
need_slurm
need_netns
c=$repo/cluster
mkdir -p "$(dirname "$2")"
work=$(mktemp -d "$2.XXXXXX") || fail "mktemp"
# this test's own clusters go, whatever happens to it; its files too when it passed
trap 'rc=$?; for s in s1 s2 s3; do bash "$c/slurm-down.sh" "$work/$s"; done
      [ -n "${netns_locked:-}" ] && bash "$c/netns-down.sh"
      if [ $rc -eq 0 ]; then rm -rf "$work"; else echo "(files kept in $work)" >&2; fi' EXIT
trap 'exit 143' TERM INT

alive() { [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
nothing_left() {  # nothing_left STATE_DIR WHAT
  local f p e
  for f in "$1"/slurmctld.pid "$1"/slurmd*.pid "$1"/munge/munged.pid; do
    [ -s "$f" ] || continue
    p=$(cat "$f")
    alive "$p" && fail "$2: $(cat "/proc/$p/comm") (PID $p from $f) still runs"
  done
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}; p=${p%/environ}
    alive "$p" || continue
    { tr '\0' '\n' < "$e"; } 2>/dev/null | grep -qx "SLURM_CONF=$1/slurm.conf" &&
      fail "$2: PID $p ($(cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ')) of the cluster still runs"
  done
  [ -e /run/netns/h1 ] || [ -e /run/netns/h2 ] && [ "${3:-}" = netns ] && fail "$2: namespaces h1/h2 left"
  return 0
}

# 1. a failing test inside with-cluster
s1=$work/s1
bash "$c/with-cluster.sh" --netns --slurm "$s1" -- \
  bash -c '"$0"/nsrun.sh h1 timeout 10 sinfo -h > /dev/null && [ -e /run/netns/h2 ] && exit 7' "$c" < /dev/null
rc=$?
[ "$rc" -eq 7 ] || fail "with-cluster.sh returned $rc, expected the command's 7"
nothing_left "$s1" "after a failing command" netns
echo "ok: a failing command (exit 7): exit 7 passed on, daemons and namespaces gone"

# 2. SIGTERM while a job runs
s2=$work/s2
bash "$c/with-cluster.sh" --slurm "$s2" -- \
  bash -c 'sbatch --parsable -o /dev/null --wrap "sleep 300" > /dev/null && sleep 300' < /dev/null &
wc_pid=$!
running() { [ -f "$s2/slurm.conf" ] && SLURM_CONF=$s2/slurm.conf timeout 5 squeue -h -t R 2>/dev/null | grep -q .; }
for _ in $(seq 1 200); do
  running && break
  kill -0 "$wc_pid" 2>/dev/null || fail "with-cluster.sh ended before the job ran"
  sleep 0.1
done
running || { kill "$wc_pid"; fail "the job did not start"; }
t0=$(now)
kill -TERM "$wc_pid"
wait "$wc_pid"
rc=$?
[ "$rc" -eq 143 ] || fail "with-cluster.sh returned $rc after SIGTERM, expected 143"
nothing_left "$s2" "after SIGTERM"
echo "ok: SIGTERM with a job running: exit 143, daemons and job processes gone in $(secs "$t0" "$(now)") s"

# 3. idempotence and leftovers
s3=$work/s3
bash "$c/slurm-up.sh" "$s3" > /dev/null || fail "slurm-up failed"
pid1=$(cat "$s3/slurmctld.pid")
bash "$c/slurm-up.sh" "$s3" > /dev/null 2> "$work/up2.err" || fail "second slurm-up failed"
grep -q 'already running' "$work/up2.err" || fail "second slurm-up did not reuse the running cluster"
[ "$(cat "$s3/slurmctld.pid")" = "$pid1" ] || fail "second slurm-up restarted slurmctld"
kill -KILL "$pid1"   # as if the test had been SIGKILLed half-way
for _ in $(seq 1 50); do alive "$pid1" || break; sleep 0.1; done
bash "$c/slurm-up.sh" "$s3" > /dev/null 2> "$work/up3.err" || { cat "$work/up3.err"; fail "slurm-up after a dead slurmctld failed"; }
grep -q 'stopping the leftovers' "$work/up3.err" || fail "slurm-up did not clean up the leftovers"
SLURM_CONF=$s3/slurm.conf timeout 10 sinfo -h -o %t | grep -qx idle || fail "the restarted cluster is not idle"
bash "$c/slurm-down.sh" "$s3" && bash "$c/slurm-down.sh" "$s3" || fail "slurm-down twice failed"
nothing_left "$s3" "after slurm-down"
# A mistyped STATE_DIR that holds other files: neither slurm-up nor slurm-down --purge clears it.
mkdir -p "$work/foreign" && echo keep > "$work/foreign/notes.txt"
bash "$c/slurm-up.sh" "$work/foreign" > /dev/null 2> "$work/foreign.err" && fail "slurm-up took a foreign directory"
grep -q "refusing to clear it" "$work/foreign.err" || { cat "$work/foreign.err"; fail "unclear slurm-up refusal"; }
bash "$c/slurm-down.sh" "$work/foreign" --purge 2> /dev/null && fail "slurm-down --purge removed a foreign directory"
[ -f "$work/foreign/notes.txt" ] || fail "a foreign directory lost its files"
exec 9>/run/lock/dptrain-netns.lock   # (the namespaces are shared: see with-cluster.sh)
flock -w 600 9 || fail "namespaces h1/h2 busy"
netns_locked=1
bash "$c/netns-up.sh" 2>/dev/null && bash "$c/netns-up.sh" 2> "$work/ns2.err" || fail "netns-up twice failed"
grep -q 'already up' "$work/ns2.err" || fail "second netns-up did not keep the namespaces"
bash "$c/netns-down.sh" && bash "$c/netns-down.sh" || fail "netns-down twice failed"
[ -e /run/netns/h1 ] || [ -e /run/netns/h2 ] && fail "namespaces left after netns-down"
netns_locked=""
exec 9>&-
echo "ok: up/up/kill/up/down/down and netns up/up/down/down leave nothing behind"
