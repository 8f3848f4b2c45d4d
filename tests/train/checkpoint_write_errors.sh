#!/usr/bin/env bash
# A checkpoint write that fails must end the job on every rank within seconds, with one error line
# naming the file and the OS error, and leave the earlier checkpoint loadable (issue #5).
#   checkpoint_write_errors.sh MODE MPIEXEC DPTRAIN MAKE_DATA
# MODE:
#   disk_full   the run directory on a 4 MiB tmpfs, filled up after the first checkpoint
#               -> "No space left on device"                        (needs root + mount; else exit 77)
#   file_limit  the ranks run under `ulimit -f 256` (KiB), set inside each rank by a wrapper
#               -> "File too large"                                 (needs nothing special)
#   read_only   checkpoints/ bind-mounted read-only, and --out on a read-only file system
#               -> refused before training, "Read-only file system" (needs root + mount; else exit 77)
# Mounts are made in a private mount namespace (unshare -m): they vanish with the test, however it ends.
set -uo pipefail
mode=$1 mpiexec=$2 dptrain=$3 make_data=$4

needs_mount() { [ "$mode" = disk_full ] || [ "$mode" = read_only ]; }
if needs_mount && [ -z "${DPT_IN_MOUNT_NS:-}" ]; then
  if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2> /dev/null; then
    echo "SKIP: $mode needs root and a private mount namespace (unshare -m)"; exit 77
  fi
  DPT_IN_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

work=$(mktemp -d /tmp/dptrain-ckpt-err-XXXXXX)
trap 'cd /; umount -R "$work/fs" 2> /dev/null; umount "$work/run/checkpoints" 2> /dev/null; rm -rf "$work"' EXIT
cd "$work"
"$make_data" . > /dev/null
fail() { echo "FAIL ($mode): $*"; exit 1; }
export OMPI_MCA_btl=self,tcp  # no shared-memory segment files: ulimit -f would refuse them in MPI_Init
# 2 ranks, ~70k parameters (a 0.56 MB checkpoint), bounded in time; run OUT LOG [WRAPPER...] -- ARGS
layers='model.layers=[{type: dense, units: 4096}, {type: relu}, {type: dense, units: 4}]'
run() {
  local out=$1 log=$2; shift 2
  local wrap=()
  while [ "$1" != -- ]; do wrap+=("$1"); shift; done
  shift
  local t0=$SECONDS
  timeout 60 "$mpiexec" -n 2 "${wrap[@]}" "$dptrain" train -q -c good.yaml --out "$out" --set "$layers" \
    --set checkpoint.every_epoch=false "$@" < /dev/null > "$log" 2>&1
  local rc=$?
  echo "  ($((SECONDS - t0)) s, exit $rc)"
  return $rc
}
first_run() {  # a checkpoint at step 3 (max_steps)
  run "$1" first.log -- --set train.max_steps=3 || { cat first.log; fail "first run failed"; }
  [ "$(cd "$1/checkpoints" && ls)" = ckpt-0000000003.h5 ] || fail "expected exactly ckpt-0000000003.h5"
}
failing_run() {  # failing_run OUT EXPECTED-OS-ERROR [WRAPPER...]: resume, the checkpoint at step 5 fails
  local out=$1 want=$2; shift 2
  run "$out" fail.log "$@" -- --resume auto --set train.max_steps=8 --set checkpoint.every_steps=1
  local rc=$?
  [ $rc -eq 124 ] && { cat fail.log; fail "the failing write hung (killed by timeout 60)"; }
  [ $rc -ne 0 ] || { cat fail.log; fail "the job exited 0 although its checkpoint could not be written"; }
  grep -qE "^\[rank [01]\] error: $out/checkpoints/ckpt-0000000005\.h5\.tmp: writing '[a-z]+' failed: $want" fail.log ||
    { cat fail.log; fail "no one-line error naming the file and '$want'"; }
  grep -E "^\[rank [01]\] error:" fail.log | head -2
  # Ranks run in $work (other tests use the same binary elsewhere): none may outlive the job.
  local p
  for p in $(pgrep -f "$dptrain train"); do
    [ "$(readlink "/proc/$p/cwd")" = "$(pwd -P)" ] && fail "a rank of the failed job (pid $p) is still running"
  done
  true
}
previous_still_good() {  # the earlier checkpoint is intact, nothing else looks like a checkpoint
  local out=$1
  [ "$(cd "$out/checkpoints" && ls)" = ckpt-0000000003.h5 ] || { ls -la "$out/checkpoints"; fail "checkpoints/ changed"; }
  local info
  info=$("$dptrain" inspect "$out/checkpoints/ckpt-0000000003.h5")
  grep -q "integrity        ok" <<<"$info" || fail "the previous checkpoint does not verify"
  run "$out" resume.log -- --resume auto --set train.max_steps=8 --set checkpoint.every_steps=1 ||
    { cat resume.log; fail "resume after the failed write failed"; }
  grep -q "resumed from $out/checkpoints/ckpt-0000000003.h5 at step 3" resume.log || { cat resume.log; fail "not resumed"; }
  [ -s "$out/model.h5" ] && [ -e "$out/checkpoints/ckpt-0000000007.h5" ] || fail "the resumed run did not finish"
}

case $mode in
  disk_full)
    mkdir fs && mount -t tmpfs -o size=4m dptrain-test fs || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
    first_run fs/run
    rm fs/run/model.h5
    free=$(df -B1 --output=avail fs | tail -1)
    dd if=/dev/zero of=fs/filler bs=4096 count=$(( (free - 65536) / 4096 )) status=none  # 64 KiB left
    failing_run fs/run "No space left on device"
    rm fs/filler
    previous_still_good fs/run
    ;;
  file_limit)
    first_run run
    # The limit only inside the ranks: mpiexec and its daemon write files of their own.
    failing_run run "File too large" bash -c 'ulimit -f 256 && exec "$@"' limited
    previous_still_good run
    ;;
  read_only)
    first_run run
    mount --bind run/checkpoints run/checkpoints && mount -o remount,bind,ro run/checkpoints ||
      { echo "SKIP: cannot bind-mount read-only"; exit 77; }
    records=$(wc -l < run/metrics.jsonl)
    run run ro.log -- --resume auto --set train.max_steps=8 && { cat ro.log; fail "accepted a read-only checkpoint directory"; }
    grep -qE "^\[rank [01]\] error: run/checkpoints: the checkpoint directory is not writable: Read-only file system" ro.log ||
      { cat ro.log; fail "no clear error for a read-only checkpoint directory"; }
    [ "$(wc -l < run/metrics.jsonl)" = "$records" ] || fail "training started before the unwritable directory was noticed"
    grep -E "^\[rank [01]\] error:" ro.log | head -1
    umount run/checkpoints
    previous_still_good run
    # --out on a read-only file system: refused before training as well
    mkdir fs && mount -t tmpfs -o ro,size=1m dptrain-test fs || fail "cannot mount a read-only tmpfs"
    run fs/run ro2.log -- && fail "accepted --out on a read-only file system"
    grep -qE "^\[rank 0\] error: fs/run.*Read-only file system" ro2.log || { cat ro2.log; fail "unclear error for a read-only --out"; }
    grep -E "^\[rank 0\] error:" ro2.log | head -1
    ;;
  *) fail "unknown mode" ;;
esac
echo "ok: $mode"
