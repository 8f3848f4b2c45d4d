#!/usr/bin/env bash
# expect_error.sh REGEX NP MPIEXEC DPTRAIN ARGS...: one wrong input, through the real executable
# on NP ranks. It must
#   - exit non-zero within 20 s (no hang), by an error and not by a signal (exit code < 128);
#   - print exactly ONE line containing "error:" in the whole output (stdout + stderr), of the form
#     "[rank r] error: ...", and that line must match REGEX (extended regex);
#   - print no Open MPI abort banner;
#   - leave every file of an existing run directory as it was (sha256).
# The run directory is a fresh copy of keep_run (made by the cli_make_run fixture); "@RUN@" in ARGS
# names it. A `train` case without --out gets "--out @RUN@ --resume auto", so the refusal must
# happen with a real run at stake.
regex=$1 np=$2 mpiexec=$3 dptrain=$4
shift 4
[ -d keep_run ] || { echo "FAIL: no keep_run directory in $PWD (the run these cases must leave unchanged)"; exit 1; }
run=$(mktemp -d "$PWD/run-XXXXXX")
trap 'rm -rf "$run" "$run"-*' EXIT
cp -r keep_run/. "$run/"
args=()
for a in "$@"; do args+=("${a//@RUN@/$run}"); done
if [ "${args[0]}" = train ] && ! printf '%s\n' "${args[@]}" | grep -qx -- '--out'; then
  args+=(--out "$run" --resume auto)
fi
sums() { (cd "$run" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(sums)
t0=$(date +%s%N)
out=$(timeout 20 "$mpiexec" -n "$np" "$dptrain" "${args[@]}" 2>&1 < /dev/null); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 )); took="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
cmd="$mpiexec -n $np $dptrain ${args[*]}"
fail() { echo "FAIL: $*"; echo "--- command: $cmd"; echo "--- output:"; echo "$out"; exit 1; }
[ $rc -eq 124 ] && fail "no exit within 20 s (a rank hung?)"
[ $rc -eq 0 ] && fail "exited 0, expected an error"
[ $rc -ge 128 ] && fail "exit code $rc: ended by a signal, not by an error"
n=$(grep -c 'error:' <<<"$out")
[ "$n" -eq 1 ] || fail "$n lines contain 'error:', expected exactly one"
line=$(grep 'error:' <<<"$out")
grep -qE '^\[rank [0-9]+\] error: ' <<<"$line" || fail "the error line is not '[rank r] error: ...'"
grep -qE -- "$regex" <<<"$line" || fail "the error line does not match: $regex"
grep -q 'MPI_ABORT was invoked' <<<"$out" && fail "Open MPI's abort banner was printed"
[ "$(sums)" = "$before" ] || fail "files of the existing run directory changed"
echo "ok: $np ranks, exit $rc in ${took} s: $line"
