#!/usr/bin/env bash
# cluster/slurm-down.sh STATE_DIR [--purge]
#   Stops the Slurm that cluster/slurm-up.sh started from STATE_DIR: slurmd(s), slurmctld and its
#   own munged, each by the PID in its PID file (SIGTERM, then SIGKILL after 5 s), and whatever
#   the cluster's jobs left running (found by SLURM_CONF and SLURM_JOB_ID in their environment). Idempotent: nothing running is fine. --purge also removes STATE_DIR.
set -uo pipefail
[ $# -ge 1 ] || { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
base=$1
purge=0
[ "${2:-}" = "--purge" ] && purge=1
[ -d "$base" ] || exit 0
base=$(cd "$base" && pwd)

# Only a PID whose process really is the daemon we started (PIDs get reused).
our_pid() {  # our_pid PIDFILE NAME -> prints the PID if it runs NAME
  local f=$1 name=$2 pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  echo "$pid"
}
stop() {  # stop PID...: SIGTERM, wait up to 5 s, then SIGKILL
  local pids=("$@") p left
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  for _ in $(seq 1 50); do
    left=()
    for p in "${pids[@]}"; do
      # a zombie counts as gone (PID 1 may reap it late)
      [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != "Z" ] && left+=("$p")
    done
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  kill -KILL "${left[@]}" 2>/dev/null
}

# Everything still running for this cluster's jobs (slurmstepd, batch scripts, srun, tasks): their
# environment has SLURM_CONF pointing here and a SLURM_JOB_ID (clients such as sbatch have none).
# (slurmstepd itself has no SLURM_JOB_ID.) Never this script or its callers.
ancestors=" "
a=$$
while [ -n "$a" ] && [ "$a" -gt 1 ]; do
  ancestors+="$a "
  a=$(awk '{print $4}' "/proc/$a/stat" 2>/dev/null)
done
steps=()
for e in /proc/[0-9]*/environ; do
  p=${e#/proc/}; p=${p%/environ}
  [[ "$ancestors" == *" $p "* ]] && continue
  env=$({ tr '\0' '\n' < "$e"; } 2>/dev/null) || continue
  grep -qx "SLURM_CONF=$base/slurm.conf" <<<"$env" || continue
  if grep -q '^SLURM_JOB_ID=' <<<"$env" || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ]; then
    steps+=("$p")
  fi
done
slurmds=()
for f in "$base"/slurmd.pid "$base"/slurmd-*.pid; do
  p=$(our_pid "$f" slurmd) && slurmds+=("$p")
done
# The jobs of a throw-away cluster need no grace period (slurmstepd ignores SIGTERM anyway).
[ ${#steps[@]} -gt 0 ] && kill -KILL "${steps[@]}" 2>/dev/null
stop "${slurmds[@]}"
p=$(our_pid "$base/slurmctld.pid" slurmctld) && stop "$p"
p=$(our_pid "$base/munge/munged.pid" munged) && stop "$p"
rm -f "$base/daemons"
[ $purge -eq 1 ] && rm -rf "$base"
exit 0
