#!/usr/bin/env bash
# cluster/netns-up.sh [--hosts h1,h2] [--rate RATE]
#   Makes two "hosts" on this machine: network namespaces h1 and h2 joined by a veth pair
#   (veth-h1 10.99.0.1/24 in h1, veth-h2 10.99.0.2/24 in h2, lo up in both). Processes started in
#   them with cluster/nsrun.sh HOST ... (or Open MPI's rsh agent cluster/netns-rsh.sh) can reach
#   each other only over TCP on 10.99.0.0/24, as on two machines.
#   --rate RATE: limit each direction with `tc tbf` (e.g. 1gbit, 100mbit); the kernel has no netem,
#       so latency cannot be added. --rate none removes a limit.
#   Idempotent: existing namespaces with the right addresses are kept (only the rate is applied);
#   anything else of the same names is deleted and made anew. Undo: cluster/netns-down.sh.
#   Needs root and iproute2.
set -euo pipefail
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
hosts=h1,h2 rate=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) hosts=${2:?}; shift 2 ;;
    --rate) rate=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
IFS=, read -r a b extra <<<"$hosts"
[ -n "$a" ] && [ -n "$b" ] && [ -z "${extra:-}" ] || { echo "netns-up: --hosts takes exactly two names" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "netns-up: needs root" >&2; exit 1; }
command -v ip >/dev/null || { echo "netns-up: ip not installed (cluster/install-deps.sh --slurm)" >&2; exit 1; }
in_ns() { local n=$1; shift; ip -n "$n" "$@"; }

has_addr() { in_ns "$1" -4 -o addr show dev "veth-$1" 2>/dev/null | grep -q "inet $2/24"; }
if [ -e "/run/netns/$a" ] && [ -e "/run/netns/$b" ] && has_addr "$a" 10.99.0.1 && has_addr "$b" 10.99.0.2 \
   && in_ns "$a" link show "veth-$a" 2>/dev/null | grep -q 'state UP'; then
  echo "netns-up: $a and $b already up" >&2
else
  for n in "$a" "$b"; do ip netns del "$n" 2>/dev/null || true; done
  ip netns add "$a"
  ip netns add "$b"
  # both ends are made directly inside the namespaces: nothing appears in the root namespace
  ip link add "veth-$a" netns "$a" type veth peer name "veth-$b" netns "$b"
  in_ns "$a" addr add 10.99.0.1/24 dev "veth-$a"
  in_ns "$b" addr add 10.99.0.2/24 dev "veth-$b"
  for n in "$a" "$b"; do
    in_ns "$n" link set lo up
    in_ns "$n" link set "veth-$n" up
  done
  echo "netns-up: $a (10.99.0.1) <-> $b (10.99.0.2) over veth" >&2
fi
if [ -n "$rate" ]; then
  for n in "$a" "$b"; do
    if [ "$rate" = none ]; then
      ip netns exec "$n" tc qdisc del dev "veth-$n" root 2>/dev/null || true
    else
      ip netns exec "$n" tc qdisc replace dev "veth-$n" root tbf rate "$rate" burst 256kb latency 50ms
    fi
  done
  echo "netns-up: rate limit $rate each way" >&2
fi
