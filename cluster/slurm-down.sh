#!/usr/bin/env bash
# cluster/slurm-down.sh STATE_DIR [--purge]
#   Stops the Slurm that cluster/slurm-up.sh started from STATE_DIR: slurmd(s), slurmctld and its
#   own munged, each by the PID in its PID file (SIGTERM, then SIGKILL after 5 s), and the job steps
#   those slurmd left behind. Idempotent: nothing running is fine. --purge also removes STATE_DIR.
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

# slurmstepd processes of this cluster's jobs: their SLURM_CONF points into STATE_DIR.
steps=()
for p in $(pgrep -x slurmstepd 2>/dev/null); do
  { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null | grep -qx "SLURM_CONF=$base/slurm.conf" && steps+=("$p")
done
slurmds=()
for f in "$base"/slurmd.pid "$base"/slurmd-*.pid; do
  p=$(our_pid "$f" slurmd) && slurmds+=("$p")
done
stop "${slurmds[@]}" "${steps[@]}"
p=$(our_pid "$base/slurmctld.pid" slurmctld) && stop "$p"
p=$(our_pid "$base/munge/munged.pid" munged) && stop "$p"
rm -f "$base/daemons"
[ $purge -eq 1 ] && rm -rf "$base"
exit 0
