#!/usr/bin/env bash
# eval_predict.sh MPIEXEC DPTRAIN CHECK_OUTPUTS MODE (in the CLI test directory, after make_cli_data)
#   hand     evaluate --json of the hand-made model (hand_made.cpp) at 1, 2 and 3 ranks: the known
#            counts, loss and accuracies; the table shows the same confusion matrix
#   predict  predict of the hand-made model to .h5 and .csv at 1, 2 and 3 ranks: one row per
#            sample, the known classes and probabilities, every rank count the same file content
#   trained  a model trained on good.h5: evaluate and predict agree between 1 and 2 ranks
set -u
mpiexec=$1 dptrain=$2 check=$3 mode=$4
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run NP ARGS...: dptrain on NP ranks, output in $out
  local np=$1; shift
  out=$(timeout 60 "$mpiexec" -n "$np" "$dptrain" "$@" 2>&1 < /dev/null) || fail "dptrain $* on $np ranks: $out"
}
hand=(--model hand_model.h5 --data hand.h5 --features /x --labels /y)
case "$mode" in
  hand)
    for np in 1 2 3; do
      timeout 60 "$mpiexec" -n $np "$dptrain" evaluate "${hand[@]}" --json > hand_eval_np$np.json 2> hand_eval.err \
        < /dev/null || fail "evaluate on $np ranks: $(cat hand_eval.err)"
      "$check" eval hand_eval_np$np.json hand_expected.json || exit 1
    done
    run 2 evaluate "${hand[@]}"
    echo "$out"
    grep -qE '^hand_model.h5: 12 samples of hand.h5: loss [0-9.]+, accuracy 0.5833$' <<<"$out" || fail "summary line"
    grep -qE '^0 +4 +0.5000$' <<<"$out" && grep -qE '^1 +3 +0.6667$' <<<"$out" && grep -qE '^2 +5 +0.6000$' <<<"$out" \
      || fail "per-class table"
    grep -q 'confusion matrix (rows: true class, columns: predicted class)' <<<"$out" || fail "confusion title"
    grep -qE '^0 +2 +1 +1$' <<<"$out" && grep -qE '^1 +0 +2 +1$' <<<"$out" && grep -qE '^2 +1 +1 +3$' <<<"$out" \
      || fail "confusion rows"
    ;;
  predict)
    rm -f hand_pred_*
    for np in 1 2 3; do
      for ext in h5 csv; do
        run $np predict "${hand[@]}" --out hand_pred_np$np.$ext
        "$check" predictions hand_pred_np$np.$ext 12 3 hand_expected.json || exit 1
      done
      [ $(wc -l < hand_pred_np$np.csv) -eq 13 ] || fail "hand_pred_np$np.csv: not a header and 12 rows"
    done
    for np in 2 3; do
      cmp hand_pred_np1.csv hand_pred_np$np.csv || fail "CSV on 1 and $np ranks differ"
      "$check" same-predictions hand_pred_np1.h5 hand_pred_np$np.h5 || exit 1
    done
    ls hand_pred_*.tmp.* 2>/dev/null && fail "temporary files left behind"
    ;;
  trained)
    rm -rf trained && run 2 train -q -c good.yaml --set train.epochs=3 --out trained
    tx=(--model trained/model.h5 --features /test/x --labels /test/y)
    for np in 1 2; do
      timeout 60 "$mpiexec" -n $np "$dptrain" evaluate "${tx[@]}" --json > trained_eval_np$np.json 2> trained.err \
        < /dev/null || fail "evaluate on $np ranks: $(cat trained.err)"
      run $np predict "${tx[@]}" --out trained/pred_np$np.h5
      "$check" predictions trained/pred_np$np.h5 32 4 || exit 1
    done
    "$check" eval trained_eval_np2.json trained_eval_np1.json || exit 1
    "$check" same-predictions trained/pred_np1.h5 trained/pred_np2.h5 || exit 1
    ;;
  *) fail "unknown mode $mode" ;;
esac
echo "ok"
