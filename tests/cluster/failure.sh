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
#   blame    watchdog 3 s; rank 0 gets SIGSTOP for 1.5 s, then rank 1 for good -> rank 1 is named
#            (not rank 0, which is past the collective rank 1 last reported waiting in), 3 + 5 s
#   name     the ranks re-exec themselves (kernels/blas_env.cpp) and keep their name: pgrep -x finds them
#   default  no option: the heartbeat watchdog is on (60 s); heartbeats only (2 s): a rank 5 s
#            late is not stopped; heartbeats only (3 s): a SIGSTOPped rank is named within 3 + 5 s
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
# pid_of_rank RANK: the process of that rank in the job started by start_long_run (found by its
# environment, DPTRAIN_TEST_TAG; the name is tested by mode "name")
pid_of_rank() {
  local e env
  for e in /proc/[0-9]*/environ; do
    env=$({ tr '\0' '\n' < "$e"; } 2>/dev/null) || continue
    grep -qx "DPTRAIN_TEST_TAG=$TAG" <<<"$env" && grep -qx "OMPI_COMM_WORLD_RANK=$1" <<<"$env" || continue
    e=${e#/proc/}; echo "${e%/environ}"; return 0
  done
  return 1
}
# start_long_run LIMIT [train options]: a long run in the background; returns once training is under
# way (metrics.jsonl written, rank 0 and 1 found) and past the first heartbeats. Sets TAG, JOB, PID0, PID1.
start_long_run() {
  local limit=$1
  shift
  TAG="$$-$RANDOM" PID0="" PID1=""
  rm -rf "$work/run-$mode" "$work/$mode.rc"
  ( DPTRAIN_TEST_TAG=$TAG timed_run "$limit" "$out" "${mpi[@]}" "$bin" "${opts[@]}" --out "$work/run-$mode" \
      --set train.epochs=1000000 "$@"
    echo "$RC $T_END" > "$work/$mode.rc" ) &
  JOB=$!
  for _ in $(seq 1 300); do
    [ -s "$work/run-$mode/metrics.jsonl" ] && PID0=$(pid_of_rank 0) && PID1=$(pid_of_rank 1) && break
    sleep 0.1
  done
  [ -n "$PID1" ] || { wait "$JOB"; show "$out"; fail "the ranks never started training"; }
  sleep 1.5  # well into training (and past the first heartbeats)
}
end_long_run() {  # waits for the job of start_long_run; sets RC, T_END
  wait "$JOB"
  read -r RC T_END < "$work/$mode.rc"
}
# signal_rank SIGNAL RANK LIMIT [train options]: a long run; once training is under way, SIGNAL
# goes to RANK. Sets T_SIG.
signal_rank() {
  local sig=$1 rank=$2 limit=$3 pid
  shift 3
  start_long_run "$limit" "$@"
  pid=$PID1
  [ "$rank" = 0 ] && pid=$PID0
  T_SIG=$(now)
  kill -s "$sig" "$pid"
  end_long_run
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
  blame)
    # Rank 0 stops for 1.5 s (rank 1 waits for it in collective #n and says so in its heartbeats),
    # goes on, and then rank 1 stops for good just after leaving #n, usually before its next
    # heartbeat: rank 0's last news of rank 1 is "waiting in #n". The stopped rank 1 must be named,
    # never rank 0 (which is past #n). Three tries: each stops rank 1 at another point of its beat.
    export DPTRAIN_WATCHDOG_TIMEOUT=3
    for try in 1 2 3; do
      start_long_run 60
      kill -STOP "$PID0"; sleep 1.5; kill -CONT "$PID0"
      sleep 0.$((try * 2))
      T_SIG=$(now)
      kill -STOP "$PID1"
      end_long_run
      expect_end "$T_SIG" 8 "rank 1 stopped (try $try)"
      expect_line '^\[rank 0\] error: watchdog: rank 1 (sent no heartbeat|did not reach)'
      echo "ok (try $try): rank 0 stopped 1.5 s, then rank 1 stopped; the job ended (exit $RC) $TOOK s later:"
      show "$out" | grep -m1 'watchdog: rank'
    done
    ;;
  name)
    # The ranks keep their program's name after the BLAS re-exec (kernels/blas_env.cpp): pgrep
    # and pkill find them by name.
    # DPTRAIN_TEST_BLAS_REEXEC makes every rank re-exec itself as on a CPU OpenBLAS does not know
    # (unless OPENBLAS_CORETYPE is set).
    unset OPENBLAS_CORETYPE
    name=$(basename "$bin")
    DPTRAIN_TEST_BLAS_REEXEC=1 start_long_run 60
    grep -q '^DPTRAIN_BLAS_REEXEC=' < <(tr '\0' '\n' < "/proc/$PID1/environ") ||
      { kill -KILL "$PID0" "$PID1"; end_long_run; fail "rank 1 did not re-exec itself"; }
    found=$(pgrep -x "$name")
    for p in $PID0 $PID1; do
      grep -qx "$p" <<<"$found" && continue
      comm=$(cat "/proc/$p/comm")
      kill -KILL "$PID0" "$PID1"; end_long_run
      fail "pgrep -x $name does not find rank pid $p (its name: '$comm')"
    done
    kill -USR1 "$PID0" "$PID1"  # what pkill -USR1 -x dptrain would do, without touching other jobs
    T_SIG=$(now)
    end_long_run
    [ "$RC" -ne 124 ] || { show "$out"; fail "the job did not stop on SIGUSR1"; }
    expect_line 'stop|signal'
    echo "ok: pgrep -x $name finds both ranks ($PID0 $PID1); SIGUSR1 stopped the job (exit $RC) in $(secs "$T_SIG" "$T_END") s"
    ;;
  default)
    # 1. With no watchdog option, the heartbeat watchdog runs (60 s) and collective waits are not timed.
    timed_run 60 "$out" "${mpi[@]}" "$bin" train -c good.yaml --overwrite --set runtime.threads=1 \
      --set checkpoint.every_epoch=false --set train.epochs=1 --out "$work/run-default"
    [ "$RC" -eq 0 ] || { show "$out"; fail "a 1-epoch run failed (exit $RC)"; }
    expect_line 'watchdog: on: a rank silent for 60 s ends the job'
    echo "ok: by default: $(show "$out" | grep -m1 -o 'watchdog: on.*')"
    # 2. Heartbeats only (the default's mode, 2 s): a rank 5 s late in a step is alive: no abort.
    run_fault 'sleep:rank=1:call=20:secs=5' 60 --set train.epochs=4 --set runtime.heartbeat_timeout=2
    [ "$RC" -eq 0 ] || { show "$out"; fail "rank 1 late by 5 s with a 2-s heartbeat timeout failed (exit $RC)"; }
    grep -q 'watchdog: ' <(show "$out" | grep -v 'watchdog: on') && { show "$out"; fail "the watchdog spoke"; }
    echo "ok: rank 1 late by 5 s, heartbeat timeout 2 s: no abort"
    # 3. Heartbeats only (3 s): a stopped rank ends the job, named, within 3 + 5 s.
    signal_rank STOP 1 60 --set runtime.heartbeat_timeout=3
    expect_end "$T_SIG" 8 "rank 1 stopped (SIGSTOP), heartbeat timeout 3 s"
    expect_line '^\[rank 0\] error: watchdog: rank 1 sent no heartbeat for [0-9.]+ s'
    echo "ok: rank 1 SIGSTOPped; the heartbeat watchdog (3 s) ended the job (exit $RC) $TOOK s later:"
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
