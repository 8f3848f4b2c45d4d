#!/usr/bin/env bash
# cluster/netns-down.sh [--hosts h1,h2]
#   Deletes the namespaces of cluster/netns-up.sh (their veth pair goes with them). Processes still
#   running inside them are killed first (found by their network namespace). Idempotent.
set -uo pipefail
hosts=h1,h2
[ "${1:-}" = "--hosts" ] && hosts=${2:?}
IFS=, read -r -a names <<<"$hosts"
for n in "${names[@]}"; do
  [ -e "/run/netns/$n" ] || continue
  pids=$(ip netns pids "$n" 2>/dev/null || true)
  if [ -n "$pids" ]; then
    kill -TERM $pids 2>/dev/null
    sleep 0.5
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  fi
  ip netns del "$n" 2>/dev/null || true
done
exit 0
