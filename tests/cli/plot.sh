#!/usr/bin/env bash
# plot.sh MPIEXEC DPTRAIN CHECK_OUTPUTS MODE (in the CLI test directory, after make_cli_data)
#   runs     trains two small runs, plotruns/a and plotruns/b (b with a validation split)
#   one      one run -> RUN_DIR/curves.png, a valid PNG over 10 KB; also a run with val + test curves
#   several  two runs (and a hand-written one) in one figure, -o FILE, under mpiexec on 2 ranks:
#            one PNG written by rank 0 alone
set -u
mpiexec=$1 dptrain=$2 check=$3 mode=$4
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run NP ARGS...: dptrain on NP ranks, output in $out
  local np=$1; shift
  out=$(timeout 90 "$mpiexec" -n "$np" "$dptrain" "$@" 2>&1 < /dev/null) || fail "dptrain $* on $np ranks: $out"
}
case "$mode" in
  runs)
    rm -rf plotruns && mkdir -p plotruns
    run 2 train -q -c good.yaml --set train.epochs=6 --out plotruns/a
    run 2 train -q -c good.yaml --set train.epochs=4 --set optimizer.lr=0.01 --set data.val_fraction=0.25 --out plotruns/b
    ;;
  one)
    rm -f plotruns/a/curves.png handrun/curves.png
    run 1 plot plotruns/a
    "$check" png plotruns/a/curves.png 10000 || exit 1
    run 1 plot handrun
    "$check" png handrun/curves.png 10000 || exit 1
    ;;
  several)
    rm -f compare.png
    run 2 plot plotruns/a plotruns/b handrun -o compare.png
    echo "$out"
    [ "$(grep -c 'wrote compare.png' <<<"$out")" -eq 1 ] || fail "expected one 'wrote compare.png' line (rank 0 only)"
    "$check" png compare.png 10000 || exit 1
    ls compare.png.part 2>/dev/null && fail "temporary file left behind"
    ;;
  *) fail "unknown mode $mode" ;;
esac
echo "ok"
