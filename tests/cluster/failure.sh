#!/usr/bin/env bash
# failure.sh MODE DPTRAIN WORK_BASE: a 2-rank job (mpirun on this machine) in which one rank
# fails must end, non-zero, within a bound, and its output must name the rank (and, for the
# watchdog, the collective). Prints how long the job took to end after the failure.
#   throw    rank 1 throws before its 20th collective        -> "[rank 1] error: ..." within 10 s
#   exit     rank 1 exits (code 3) without MPI_Finalize       -> mpirun names rank 1, within 10 s
#   sigkill  rank 1 gets SIGKILL from outside while training  -> mpirun names rank 1, within 10 s
#   stall    rank 1 stops before its 20th collective, watchdog 3 s -> rank 0 names rank 1 and the
#            collective it did not reach (#20, or the next one where #20 does not block rank 0),
#            within 3 + 5 s (and not before 3 s)
#   stall0   the same with rank 0 stalled (its own watchdog thread names it)
#   sigstop  rank 1 gets SIGSTOP from outside, watchdog 3 s  -> "rank 1 sent no heartbeat", 3 + 5 s
#   quiet    watchdog 2 s; every rank sleeps 3 s before one collective (a slow step) and then
#            rank 1 alone sleeps 1 s: the job must succeed with the same results as without
# Test-only fault injection: DPTRAIN_FAULT (src/comm/comm.hpp).
source "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || { echo "usage: DPTRAIN_MAKE_DATA=make_cli_data failure.sh MODE DPTRAIN WORK_BASE" >&2; exit 2; }
mode=$1 bin=$2
new_work "$3/$mode"
work=$WORK
cd "$work/data" || fail "no test data"
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
unset DPTRAIN_FAULT DPTRAIN_WATCHDOG_TIMEOUT
opts=(train -q -c good.yaml --overwrite --set runtime.threads=1)
opts+=(--set checkpoint.every_epoch=false)  # no per-epoch checkpoint files (they only slow these runs down)
out=$work/$mode.out
mpi=(mpirun -np 2)

run_fault() {  # run_fault FAULT LIMIT [extra train options]: runs the job with DPTRAIN_FAULT=FAULT
  local fault=$1 limit=$2
  shift 2
  DPTRAIN_FAULT=$fault timed_run "$limit" "$out" "${mpi[@]}" "$bin" "${opts[@]}" --out "$work/run-$mode" "$@"
}
# pid_of_rank TAG RANK: the process of that rank in the job whose environment has DPTRAIN_TEST_TAG=TAG
pid_of_rank() {
  local e env
  for e in /proc/[0-9]*/environ; do   # (by environment: dptrain re-executes itself as "exe")
    env=$({ tr '\0' '\n' < "$e"; } 2>/dev/null) || continue
    grep -qx "DPTRAIN_TEST_TAG=$1" <<<"$env" && grep -qx "OMPI_COMM_WORLD_RANK=$2" <<<"$env" || continue
    e=${e#/proc/}; echo "${e%/environ}"; return 0
  done
  return 1
}
# signal_rank SIGNAL RANK LIMIT: a long run; once training is under way, SIGNAL goes to RANK.
# Sets T_SIG.
signal_rank() {
  local sig=$1 rank=$2 limit=$3 tag="$$-$RANDOM" pid=""
  rm -rf "$work/run-$mode"
  ( DPTRAIN_TEST_TAG=$tag timed_run "$limit" "$out" "${mpi[@]}" "$bin" "${opts[@]}" --out "$work/run-$mode" \
      --set train.epochs=1000000
    echo "$RC $T_END" > "$work/$mode.rc" ) &
  local job=$!
  for _ in $(seq 1 300); do
    [ -s "$work/run-$mode/metrics.jsonl" ] && pid=$(pid_of_rank "$tag" "$rank") && break
    sleep 0.1
  done
  [ -n "$pid" ] || { wait "$job"; show "$out"; fail "rank $rank never started training"; }
  sleep 1.5  # well into training (and past the first heartbeats)
  T_SIG=$(now)
  kill -s "$sig" "$pid"
  wait "$job"
  read -r RC T_END < "$work/$mode.rc"
}
expect_end() {  # expect_end FROM BOUND WHAT: non-zero exit within BOUND s of time FROM
  local from=$1 bound=$2 what=$3 took
  [ -n "$from" ] || { show "$out"; fail "$what: marker line not found"; }
  took=$(secs "$from" "$T_END")
  [ "$RC" -ne 0 ] || { show "$out"; fail "$what: the job exited 0"; }
  [ "$RC" -ne 124 ] || { show "$out"; fail "$what: the job hung (killed by timeout)"; }
  le "$took" "$bound" || { show "$out"; fail "$what: the job took $took s to end (bound $bound s)"; }
  TOOK=$took
}
expect_line() { grep -qE -- "$1" <(show "$out") || { show "$out"; fail "no line matches: $1"; }; }

case "$mode" in
  throw)
    run_fault "throw:rank=1:call=20" 60 --set train.epochs=50
    expect_end "$(first_at '\[rank 1\] error: ' "$out")" 10 "rank 1 threw"
    expect_line '^\[rank 1\] error: DPTRAIN_FAULT \(test-only\): injected error before [a-z_]+ #20'
    echo "ok: rank 1 threw; job ended (exit $RC) $TOOK s after its error line: $(show "$out" | grep -m1 'rank 1\] error')"
    ;;
  exit)
    run_fault "exit:rank=1:call=20" 60 --set train.epochs=50
    expect_end "$(first_at 'DPTRAIN_FAULT.*exiting' "$out")" 10 "rank 1 exited"
    expect_line 'Process name: \[\[[0-9]+,[0-9]+\],1\]'
    expect_line 'Exit code: +3'
    echo "ok: rank 1 exited without MPI_Finalize; mpirun ended the job (exit $RC) $TOOK s later, naming rank 1"
    ;;
  sigkill)
    signal_rank KILL 1 60
    expect_end "$T_SIG" 10 "rank 1 got SIGKILL"
    expect_line 'process rank 1 with PID [0-9]+ on node .* exited on signal 9'
    echo "ok: rank 1 SIGKILLed; mpirun ended the job (exit $RC) $TOOK s later: $(show "$out" | grep -m1 -oE 'process rank 1 .*')"
    ;;
  stall | stall0)
    r=1 other=0
    [ "$mode" = stall0 ] && r=0 other=1
    DPTRAIN_WATCHDOG_TIMEOUT=3 run_fault "stall:rank=$r:call=20" 60 --set train.epochs=50
    from=$(first_at 'DPTRAIN_FAULT.*stalling' "$out")
    expect_end "$from" 8 "rank $r stalled"
    le 3 "$TOOK" || { show "$out"; fail "the watchdog fired after $TOOK s, before its 3-s timeout"; }
    expect_line "^\[rank 0\] error: watchdog: rank $r did not reach [a-z_]+ #(20|21|22) .*within 3 s \(rank $other waiting"
    expect_line "rank $r is outside any collective \(computing\) for [0-9.]+ s, since it left [a-z_]+ #19"
    echo "ok: rank $r stalled; the watchdog (3 s) ended the job (exit $RC) $TOOK s after the stall:"
    show "$out" | grep -m1 'watchdog: rank'
    ;;
  sigstop)
    DPTRAIN_WATCHDOG_TIMEOUT=3 signal_rank STOP 1 60
    expect_end "$T_SIG" 8 "rank 1 stopped (SIGSTOP)"
    expect_line '^\[rank 0\] error: watchdog: rank 1 sent no heartbeat for [0-9.]+ s'
    echo "ok: rank 1 SIGSTOPped; the watchdog (3 s) ended the job (exit $RC) $TOOK s later:"
    show "$out" | grep -m1 'watchdog: rank'
    ;;
  quiet)
    DPTRAIN_FAULT="" timed_run 60 "$work/ref.out" "${mpi[@]}" "$bin" "${opts[@]}" --out "$work/run-ref" --set train.epochs=8
    [ "$RC" -eq 0 ] || { show "$work/ref.out"; fail "reference run failed"; }
    export DPTRAIN_WATCHDOG_TIMEOUT=2
    t0=$(now)
    run_fault 'sleep:rank=*:call=20:secs=3' 60 --set train.epochs=8
    [ "$RC" -eq 0 ] || { show "$out"; fail "a slow step (all ranks 3 s) with a 2-s watchdog failed (exit $RC)"; }
    grep -q 'watchdog: ' <(show "$out" | grep -v 'watchdog: on') && { show "$out"; fail "the watchdog spoke"; }
    same_results "$work/run-ref" "$work/run-$mode"
    echo "ok: a 3-s step on every rank under a 2-s watchdog: no abort, same results ($(secs "$t0" "$T_END") s)"
    run_fault 'sleep:rank=1:call=20:secs=1' 60 --set train.epochs=8
    [ "$RC" -eq 0 ] || { show "$out"; fail "rank 1 late by 1 s with a 2-s watchdog failed (exit $RC)"; }
    grep -q 'watchdog: ' <(show "$out" | grep -v 'watchdog: on') && { show "$out"; fail "the watchdog spoke"; }
    same_results "$work/run-ref" "$work/run-$mode"
    echo "ok: rank 1 late by 1 s under a 2-s watchdog: no abort, same results"
    ;;
  *) echo "failure.sh: unknown mode $mode" >&2; exit 2 ;;
esac
