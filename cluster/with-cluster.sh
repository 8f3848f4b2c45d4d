#!/usr/bin/env bash
# cluster/with-cluster.sh [--netns] [--rate RATE] [--slurm STATE_DIR] -- COMMAND [ARGS...]
#   Brings up the local test cluster, runs COMMAND (stdin /dev/null), and always takes the cluster
#   and whatever COMMAND started down again: on success, on failure, on Ctrl-C, SIGTERM or SIGHUP.
#   Exits with COMMAND's status.
#   --netns             namespace hosts h1, h2 (cluster/netns-up.sh); holds a lock so that two
#                       users of this machine never share them (waits up to 10 min)
#   --rate RATE         tc tbf rate limit on their link (with --netns)
#   --slurm STATE_DIR   a real Slurm under STATE_DIR (cluster/slurm-up.sh), SLURM_CONF exported;
#                       with --netns: two Slurm nodes h1, h2, one per namespace (run clients in h1:
#                       cluster/nsrun.sh h1 sbatch ...)
#   Examples:
#     cluster/with-cluster.sh --slurm /tmp/sl -- sbatch --wait -N1 --ntasks-per-node=2 -c1 launch/slurm.sbatch cfg.yaml --out runs/x
#     cluster/with-cluster.sh --netns -- cluster/nsrun.sh h1 mpirun ... (see docs/cluster.md)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
netns=0 rate="" slurm=""
while [ $# -gt 0 ]; do
  case "$1" in
    --netns) netns=1; shift ;;
    --rate) rate=${2:?}; shift 2 ;;
    --slurm) slurm=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
[ $# -ge 1 ] || usage

child=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then  # COMMAND and everything it started
    kill -TERM -- "-$child" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$child" 2>/dev/null
  fi
  [ -n "$slurm" ] && bash "$here/slurm-down.sh" "$slurm"
  [ $netns -eq 1 ] && bash "$here/netns-down.sh"
  echo "with-cluster: cleaned up" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ $netns -eq 1 ]; then
  mkdir -p /run/lock
  exec 9>/run/lock/dptrain-netns.lock
  flock -w 600 9 || { echo "with-cluster: namespaces h1/h2 busy for 10 min (lock /run/lock/dptrain-netns.lock)" >&2; exit 1; }
  if [ -n "$rate" ]; then bash "$here/netns-up.sh" --rate "$rate" 9>&- || exit 1
  else bash "$here/netns-up.sh" 9>&- || exit 1; fi
fi
if [ -n "$slurm" ]; then
  # (the daemons must not inherit the lock)
  if [ $netns -eq 1 ]; then up=$(bash "$here/slurm-up.sh" "$slurm" --netns h1,h2 9>&-) || exit 1
  else up=$(bash "$here/slurm-up.sh" "$slurm" 9>&-) || exit 1; fi
  eval "$up"
fi
# In the background, so that a signal to this script is handled at once (bash runs traps only
# between foreground commands), and in a process group of its own (set -m), so that cleaning up
# ends everything it started. (So COMMAND cannot read from a terminal.)
set -m
"$@" < /dev/null &
child=$!
set +m
while :; do
  wait "$child"
  rc=$?
  kill -0 "$child" 2>/dev/null || break
done
child=""
exit "$rc"
