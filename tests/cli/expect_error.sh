#!/usr/bin/env bash
# expect_error.sh REGEX COMMAND...: COMMAND must fail (non-zero exit) within 60 s, print a
# "[rank r] error: ..." line, and that output must match REGEX (extended regex).
regex="$1"; shift
cmd="$*"
out=$(timeout 60 "$@" 2>&1 < /dev/null); rc=$?
fail() { echo "FAIL: $*"; echo "--- command: $cmd"; echo "--- output:"; echo "$out"; exit 1; }
[ $rc -eq 124 ] && fail "timed out after 60 s (a rank hung?)"
[ $rc -eq 0 ] && fail "exited 0, expected an error"
grep -qE '^\[rank [0-9]+\] error: ' <<<"$out" || fail "no '[rank r] error:' line"
grep -qE -- "$regex" <<<"$out" || fail "no line matches: $regex"
echo "ok: exit $rc; $(grep -m1 -E '^\[rank [0-9]+\] error: ' <<<"$out")"
