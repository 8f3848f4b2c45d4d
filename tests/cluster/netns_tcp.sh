#!/usr/bin/env bash
# netns_tcp.sh REPO DPTRAIN WORK_BASE: run inside `cluster/with-cluster.sh --netns`.
# 1. The same 2-rank training twice: on this machine (mpirun, shared memory) and with rank 0 on
#    host h1 and rank 1 on host h2 (network namespaces; mpirun through the rsh agent; TCP over the
#    veth link only, with the watchdog on). Every metric except the timings, and every parameter of
#    model.h5, must be bit-identical, and the training traffic must have crossed the veth link.
# 2. Rank 1 on h2 stalls; the watchdog on h1 must end the job over TCP, naming rank 1.
source "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || { echo "usage: DPTRAIN_MAKE_DATA=make_cli_data netns_tcp.sh REPO DPTRAIN WORK_BASE" >&2; exit 2; }
repo=$1 bin=$2
new_work "$3"
work=$WORK
cd "$work/data" || fail "no test data"
[ -e /run/netns/h1 ] && [ -e /run/netns/h2 ] || fail "namespaces h1/h2 missing (run under cluster/with-cluster.sh --netns)"
unset DPTRAIN_FAULT DPTRAIN_WATCHDOG_TIMEOUT OMPI_MCA_hwloc_base_binding_policy OMPI_MCA_rmaps_base_oversubscribe
opts=(train -q -c good.yaml --set runtime.threads=1 --set train.epochs=6)
printf 'h1 slots=1\nh2 slots=1\n' > "$work/hostfile"
# Each namespace believes it owns every core: pin the ranks to different cores explicitly.
printf 'rank 0=h1 slot=0\nrank 1=h2 slot=%d\n' $(( $(nproc) > 1 ? 1 : 0 )) > "$work/rankfile"
tcp=(mpirun -np 2 --hostfile "$work/hostfile" --rankfile "$work/rankfile"
     --mca plm_rsh_agent "$repo/cluster/netns-rsh.sh"
     --mca btl tcp,self --mca btl_tcp_if_include 10.99.0.0/24 --mca oob_tcp_if_include 10.99.0.0/24
     -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM -x DPTRAIN_WATCHDOG_TIMEOUT -x DPTRAIN_FAULT)
tx_bytes() { ip -n h1 -j -s link show veth-h1 | grep -o '"tx":{"bytes":[0-9]*' | grep -o '[0-9]*$'; }

# 1. local (shared memory) vs. two hosts (TCP)
timed_run 120 "$work/local.out" mpirun -np 2 --bind-to core "$bin" "${opts[@]}" --out "$work/local"
[ "$RC" -eq 0 ] || { show "$work/local.out"; fail "local run failed (exit $RC)"; }
tx0=$(tx_bytes)
t0=$(now)
DPTRAIN_WATCHDOG_TIMEOUT=10 DPTRAIN_FAULT="" timed_run 120 "$work/tcp.out" \
  "$repo/cluster/nsrun.sh" h1 "${tcp[@]}" "$bin" "${opts[@]}" --out "$work/tcp"
[ "$RC" -eq 0 ] || { show "$work/tcp.out"; fail "run across h1/h2 failed (exit $RC)"; }
sent=$(( $(tx_bytes) - tx0 ))
[ "$sent" -gt 10000 ] || fail "only $sent bytes left h1 over veth-h1: the ranks did not talk over TCP"
same_results "$work/local" "$work/tcp"
h5diff "$work/local/model.h5" "$work/tcp/model.h5" /params > "$work/h5diff.out" 2>&1 \
  || { cat "$work/h5diff.out"; fail "model parameters differ between the local and the TCP run"; }
echo "ok: h1+h2 over TCP ($(secs "$t0" "$T_END") s, $sent bytes out of h1) gave bit-identical metrics and parameters to the local run"

# 2. a rank stalls on the other host: the watchdog ends the job over TCP
DPTRAIN_WATCHDOG_TIMEOUT=3 DPTRAIN_FAULT="stall:rank=1:call=20" timed_run 60 "$work/stall.out" \
  "$repo/cluster/nsrun.sh" h1 "${tcp[@]}" "$bin" "${opts[@]}" --out "$work/stall" --set train.epochs=50
from=$(first_at 'DPTRAIN_FAULT.*stalling' "$work/stall.out")
[ -n "$from" ] || { show "$work/stall.out"; fail "rank 1 did not stall"; }
took=$(secs "$from" "$T_END")
[ "$RC" -ne 0 ] && [ "$RC" -ne 124 ] || { show "$work/stall.out"; fail "stall on h2: exit $RC"; }
le "$took" 8 || { show "$work/stall.out"; fail "stall on h2: the job took $took s to end (bound 8 s)"; }
grep -qE '^\[rank 0\] error: watchdog: rank 1 did not reach [a-z_]+ #(20|21|22) .*within 3 s' <(show "$work/stall.out") \
  || { show "$work/stall.out"; fail "no watchdog message naming rank 1 and a collective"; }
echo "ok: rank 1 stalled on h2; the watchdog on h1 (3 s) ended the job $took s later over TCP"
# nothing may be left running in the namespaces
left=$(ip netns pids h1; ip netns pids h2)
[ -z "$left" ] || fail "processes left in the namespaces: $left"
