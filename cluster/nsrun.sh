#!/usr/bin/env bash
# cluster/nsrun.sh HOST COMMAND [ARGS...]
#   Runs COMMAND "on" HOST, a network namespace made by cluster/netns-up.sh: in its network
#   namespace and in a new UTS namespace whose hostname is HOST. Uses nsenter, not `ip netns exec`,
#   which remounts /sys and hides the cgroup file system that slurmd needs.
#   Example: cluster/nsrun.sh h1 hostname      -> h1
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
host=$1; shift
[ -e "/run/netns/$host" ] || { echo "nsrun: no network namespace $host (cluster/netns-up.sh)" >&2; exit 1; }
exec nsenter --net="/run/netns/$host" unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
