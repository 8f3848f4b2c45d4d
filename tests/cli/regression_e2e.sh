#!/usr/bin/env bash
# Regression end to end: a synthetic CSV table y = 2 x0 - x1 + sin(2 x2) + noise (sd 0.05), with
# features on scales 10^-2 .. 10^2 -> `prepare csv --task regression` (z-score features, float32
# target) -> training with loss mse on 2 ranks -> test RMSE below 0.15 (it reaches about 0.06).
# Predicting the mean gives about 2.7 and the best linear model about 0.6, so a loss, gradient or
# target path that is off cannot pass. Then evaluate (1 and 2 ranks) reports the same RMSE as the run, predict writes one
# value per test row whose RMSE against the stored targets is that RMSE again, and the
# classification/regression mismatches fail with one-line errors.
# usage: regression_e2e.sh MPIEXEC DPTRAIN
set -euo pipefail
mpiexec=$1 dptrain=$2
work=$(mktemp -d /tmp/dptrain-reg-e2e-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

awk 'BEGIN {
  srand(23); pi = 3.141592653589793
  print "x0,x1,target,x2"
  for (i = 0; i < 4000; i++) {
    x0 = 4 * rand() - 2; x1 = 4 * rand() - 2; x2 = 4 * rand() - 2
    z = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
    y = 2 * x0 - x1 + sin(2 * x2) + 0.05 * z
    printf "%.6g,%.6g,%.6g,%.6g\n", x0 * 100, x1, y, x2 / 100
  }
}' > table.csv

"$dptrain" prepare csv table.csv --task regression --label target --out table.h5 --normalize zscore \
  --split 0.8,0.1,0.1 --seed 5 | tee prepare.log

cat > run.yaml <<'YAML'
seed: 3
loss: mse
data:
  file: table.h5
  train_features: /train/features
  train_labels: /train/labels
  val_features: /val/features
  val_labels: /val/labels
  test_features: /test/features
  test_labels: /test/labels
model:
  layers: [{type: dense, units: 64}, {type: tanh}, {type: dense, units: 64}, {type: tanh}, {type: dense, units: 1}]
optimizer: {name: adam, lr: 0.003}
schedule: {name: cosine}
train: {epochs: 40, batch_size: 64}
early_stopping: {metric: val_rmse, patience: 40}
checkpoint: {every_epoch: false}
YAML
timeout 200 "$mpiexec" -n 2 "$dptrain" train -q -c run.yaml --out run < /dev/null

end=$(grep '"event":"end"' run/metrics.jsonl)
field() { grep -o "\"$1\":[0-9.eE+-]*" <<<"$2" | head -1 | cut -d: -f2; }
rmse=$(field test_rmse "$end")
echo "test rmse: $rmse (need < 0.15); end record: $end"
awk -v r="$rmse" 'BEGIN { exit !(r != "" && r + 0 < 0.15) }' || { cat run/metrics.jsonl; fail "test RMSE $rmse"; }
grep -q '"test_mae"' <<<"$end" && grep -q '"test_r2"' <<<"$end" && grep -q '"best_val_rmse"' <<<"$end" \
  || fail "end record lacks test_mae/test_r2/best_val_rmse"
grep -q 'accuracy' run/metrics.jsonl && fail "a regression run reports an accuracy"
head -1 run/metrics.jsonl | grep -q '"train_rmse"' || fail "no train_rmse in the epoch record"

# evaluate: the same RMSE on 1 and 2 ranks as the run's final model.
for np in 1 2; do
  timeout 60 "$mpiexec" -n $np "$dptrain" evaluate --model run/model.h5 --data table.h5 --features /test/features \
    --labels /test/labels --json > eval$np.json < /dev/null
  r=$(field rmse "$(cat eval$np.json)")
  awk -v a="$r" -v b="$rmse" 'BEGIN { exit !(a != "" && (a - b < 1e-5 * b) && (b - a < 1e-5 * b)) }' \
    || fail "evaluate on $np ranks: rmse $r, the run reported $rmse"
done
# Without --data/--features/--labels: the data file and test datasets of the model's own config.
timeout 60 "$dptrain" evaluate --model run/model.h5 \
  | grep -E "samples of table.h5: mse [0-9.e-]+, rmse [0-9.e-]+, mae [0-9.e-]+, r2 0\.9" || fail "evaluate text"

# predict: one value per test row; its RMSE against the stored targets (h5dump) is the run's.
timeout 60 "$mpiexec" -n 2 "$dptrain" predict --model run/model.h5 --data table.h5 --features /test/features \
  --labels /test/labels --out pred.csv < /dev/null
[ "$(head -1 pred.csv)" = "row,predicted" ] || fail "pred.csv header: $(head -1 pred.csv)"
h5dump -y -w 0 -A 0 -m %.9g -d /test/labels table.h5 | awk '/DATA \{/ {on = 1; next} /\}/ {on = 0} on' \
  | tr ',' '\n' | awk 'NF {print $1}' > truth.txt
[ "$(wc -l < truth.txt)" -eq "$(($(wc -l < pred.csv) - 1))" ] || fail "pred.csv rows != test rows"
prmse=$(tail -n +2 pred.csv | cut -d, -f2 | paste -d, - truth.txt \
  | awk -F, '{ d = $1 - $2; s += d * d; n++ } END { printf "%.9g", sqrt(s / n) }')
awk -v a="$prmse" -v b="$rmse" 'BEGIN { exit !((a - b < 1e-4 * b) && (b - a < 1e-4 * b)) }' \
  || fail "RMSE of pred.csv $prmse, the run reported $rmse"
echo "predict: rmse of pred.csv $prmse"

# Mismatches: float targets with cross_entropy; a classification metric with mse.
# expect REGEX ARGS...: on 2 ranks, one error line, and the trained run directory is left unchanged.
cp -r run keep_run
expect() { bash "$(dirname "$0")/expect_error.sh" "$1" 2 "$mpiexec" "$dptrain" "${@:2}" || exit 1; }
expect "error: table.h5: dataset '/train/labels' \(data.train_labels\) has float elements; class labels must be integers \(loss cross_entropy; for regression targets set loss: mse\)" \
  train -q -c run.yaml --set loss=cross_entropy --set early_stopping.metric=val_loss
expect "early_stopping.metric = val_accuracy does not fit loss = mse" \
  train -q -c run.yaml --set early_stopping.metric=val_accuracy
echo "ok"
