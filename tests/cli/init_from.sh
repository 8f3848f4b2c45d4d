#!/usr/bin/env bash
# train.init_from and `trainable: false` through the executable on 2 ranks (no PyTorch needed; the
# state-dict files come from make_cli_data, init_files.hpp):
#   1. init_good.h5 with the first dense layer frozen: layers.0 ends exactly as the file has it
#      (SGD with momentum and weight decay), layers.2 moves; the summary marks the frozen layer.
#   2. init_group.h5 (the same values under /state_dict, float64), everything frozen: the model
#      file holds exactly run 1's starting weights; so does a run initialized from a model.h5.
#   3. init_seq.h5 (the same values under PyTorch names, in creation order) with
#      train.init_from_match: position: the same weights as by name.
set -euo pipefail
mpiexec=$1 bin=$2
work=$(mktemp -d /tmp/dptrain-init-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
common=(train -c good.yaml --set train.epochs=1 --set optimizer.momentum=0.9 --set optimizer.weight_decay=0.01)
frozen0='model.layers=[{type: dense, units: 8, trainable: false}, {type: relu}, {type: dense, units: 4}]'
all_frozen='model.layers=[{type: dense, units: 8, trainable: false}, {type: relu}, {type: dense, units: 4, trainable: false}]'

timeout 120 "$mpiexec" -n 2 "$bin" "${common[@]}" --set train.init_from=init_good.h5 --set "$frozen0" \
  --out "$work/a" < /dev/null > "$work/a.out" 2>&1 || { cat "$work/a.out"; fail "run a"; }
grep -q "(frozen)" "$work/a/train.log" || fail "the summary does not mark the frozen layer"
grep -q "initial weights from init_good.h5" "$work/a/train.log" || fail "no 'initial weights from' line"
for t in layers.0.weight layers.0.bias; do
  h5diff init_good.h5 "$work/a/model.h5" "/$t" "/params/$t" || fail "frozen $t moved"
done
if h5diff -q init_good.h5 "$work/a/model.h5" /layers.2.weight /params/layers.2.weight; then
  fail "trained layers.2.weight did not move"
fi

timeout 120 "$mpiexec" -n 2 "$bin" "${common[@]}" --set train.init_from=init_group.h5 --set "$all_frozen" \
  --out "$work/b" < /dev/null > "$work/b.out" 2>&1 || { cat "$work/b.out"; fail "run b"; }
for t in layers.0.weight layers.0.bias layers.2.weight layers.2.bias; do
  h5diff init_good.h5 "$work/b/model.h5" "/$t" "/params/$t" || fail "all frozen: $t is not the file's"
done

timeout 120 "$mpiexec" -n 2 "$bin" "${common[@]}" --set train.init_from="$work/a/model.h5" --set "$all_frozen" \
  --out "$work/c" < /dev/null > "$work/c.out" 2>&1 || { cat "$work/c.out"; fail "run c"; }
h5diff "$work/a/model.h5" "$work/c/model.h5" /params /params || fail "a model.h5 as init_from: other weights"
# By position: init_seq.h5 holds init_good.h5's values under PyTorch names (fc1.weight, ...).
timeout 120 "$mpiexec" -n 2 "$bin" "${common[@]}" --set train.init_from=init_seq.h5 \
  --set train.init_from_match=position --set "$all_frozen" --out "$work/d" < /dev/null > "$work/d.out" 2>&1 \
  || { cat "$work/d.out"; fail "run d"; }
h5diff "$work/b/model.h5" "$work/d/model.h5" /params /params || fail "by position: other weights than by name"
echo "init_from + trainable: false ok"
