#!/usr/bin/env bash
# graph_e2e.sh MPIEXEC DPTRAIN CHECK_OUTPUTS (in the CLI test directory, after make_cli_data)
# A layer graph (a residual MLP with a concat) through every command a user runs: train on 2 ranks
# (the summary shows each node's inputs), inspect, evaluate and predict on 1 and 2 ranks (the same
# results), bench, a resume that continues it, and a resume with other wiring, which is refused
# naming both architectures and leaving the run as it was.
set -u
mpiexec=$1 dptrain=$2 check=$3
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run NP ARGS...: dptrain on NP ranks, output in $out
  local np=$1; shift
  out=$(timeout 60 "$mpiexec" -n "$np" "$dptrain" "$@" 2>&1 < /dev/null) || fail "dptrain $* on $np ranks: $out"
}
graph='[{type: dense, units: 8, name: h}, {type: relu}, {type: dense, units: 8, name: f},
        {type: add, inputs: [f, h], name: res}, {type: tanh, name: t}, {type: concat, inputs: [t, input]},
        {type: dense, units: 4}]'
rewired='[{type: dense, units: 8, name: h}, {type: relu}, {type: dense, units: 8, name: f},
          {type: add, inputs: [h, f], name: res}, {type: tanh, name: t}, {type: concat, inputs: [t, input]},
          {type: dense, units: 4}]'
rm -rf graph_run
run 2 train -c good.yaml --set "model.layers=$graph" --set train.epochs=2 --out graph_run
grep -qE '\[3\] add 2 x \(8\) .* res <- f, h$' graph_run/train.log || fail "summary: no '[3] add ... res <- f, h' line"
grep -qE '\[5\] concat 8 \+ 12 .* #5 <- t, input$' graph_run/train.log || fail "summary: no concat line"
run 1 inspect graph_run/model.h5
grep -q 'add 2 x (8) -> (8) <- \[2, 0\]' <<<"$out" || fail "inspect: the architecture has no inputs: $out"
tx=(--model graph_run/model.h5 --features /test/x --labels /test/y)
for np in 1 2; do
  timeout 60 "$mpiexec" -n $np "$dptrain" evaluate "${tx[@]}" --json > graph_eval_np$np.json 2> graph.err \
    < /dev/null || fail "evaluate on $np ranks: $(cat graph.err)"
  run $np predict "${tx[@]}" --out graph_run/pred_np$np.h5
  "$check" predictions graph_run/pred_np$np.h5 32 4 || exit 1
done
"$check" eval graph_eval_np2.json graph_eval_np1.json || exit 1
"$check" same-predictions graph_run/pred_np1.h5 graph_run/pred_np2.h5 || exit 1
run 2 bench -c good.yaml --set "model.layers=$graph" --steps 5 --warmup 1
grep -q '"samples_per_s"' <<<"$out" || fail "bench printed no samples_per_s: $out"

# A resume continues the graph run: 2 more epochs from its last checkpoint.
run 2 train -c good.yaml --set "model.layers=$graph" --set train.epochs=4 --out graph_run --resume auto
grep -q '"epoch":4,' graph_run/metrics.jsonl || fail "the resumed run has no epoch 4"
# Other wiring (the add's inputs swapped: another graph) is refused; the run is left as it was.
before=$(sha256sum graph_run/metrics.jsonl graph_run/model.h5 graph_run/checkpoints/*)
out=$(timeout 60 "$mpiexec" -n 2 "$dptrain" train -q -c good.yaml --set "model.layers=$rewired" \
  --set train.epochs=6 --out graph_run --resume auto 2>&1 < /dev/null) && fail "a rewired graph resumed: $out"
grep -q 'written for another model' <<<"$out" || grep -q 'of another model' <<<"$out" || fail "no architecture error: $out"
[ "$(grep -c 'error' <<<"$out")" -eq 1 ] || fail "not exactly one error line: $out"
[ "$(sha256sum graph_run/metrics.jsonl graph_run/model.h5 graph_run/checkpoints/*)" = "$before" ] \
  || fail "the refused resume changed the run"
echo "ok"
