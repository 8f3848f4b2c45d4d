#!/usr/bin/env bash
# End to end: a CSV table whose features differ in scale by 10^5, with missing cells and duplicate
# rows -> `dptrain prepare csv` (drop duplicates, median fill, z-score, 80/10/10 split) -> training
# on 2 ranks that applies the stored normalization by itself -> test accuracy >= 0.90.
# usage: csv_e2e.sh MPIEXEC DPTRAIN
set -euo pipefail
mpiexec=$1 dptrain=$2
work=$(mktemp -d /tmp/dptrain-csv-e2e-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

# 3 classes, 6 features: class c is centred at 2 on features c and c + 3 and at 0 elsewhere, with
# Gaussian noise of sd 0.6; feature j is then scaled by 10^(j-2); about 2 % of the cells are
# missing (empty or NA) and 3 % of the rows repeat the previous row.
awk 'BEGIN {
  srand(17); pi = 3.141592653589793
  for (c = 0; c < 3; c++) for (j = 0; j < 6; j++) centre[c, j] = (j % 3 == c) ? 2 : 0
  print "f0,f1,f2,class,f3,f4,f5"
  for (i = 0; i < 4000; i++) {
    if (i > 0 && rand() < 0.03) { print prev; continue }
    c = i % 3; line = ""
    for (j = 0; j < 6; j++) {
      z = sqrt(-2 * log(1 - rand())) * cos(2 * pi * rand())
      v = (centre[c, j] + 0.6 * z) * 10 ^ (j - 2)
      cell = (rand() < 0.02) ? (rand() < 0.5 ? "" : "NA") : sprintf("%.6g", v)
      line = line (j == 0 ? "" : ",") cell
      if (j == 2) line = line "," c
    }
    print line; prev = line
  }
}' > table.csv

"$dptrain" prepare csv table.csv --label class --out table.h5 --drop-duplicates --missing median \
  --normalize zscore --split 0.8,0.1,0.1 --seed 5 | tee prepare.log

cat > run.yaml <<'YAML'
seed: 3
data:
  file: table.h5
  train_features: /train/features
  train_labels: /train/labels
  val_features: /val/features
  val_labels: /val/labels
  test_features: /test/features
  test_labels: /test/labels
model:
  layers: [{type: dense, units: 32}, {type: relu}, {type: dense, units: 3}]
optimizer: {lr: 0.05, momentum: 0.9}
train: {epochs: 6, batch_size: 64}
YAML
timeout 150 "$mpiexec" -n 2 "$dptrain" train -q -c run.yaml --out run < /dev/null

acc=$(grep '"event":"end"' run/metrics.jsonl | grep -o '"test_accuracy":[0-9.eE+-]*' | cut -d: -f2)
echo "test accuracy: $acc (need >= 0.90)"
awk -v a="$acc" 'BEGIN { exit !(a != "" && a + 0 >= 0.90) }' || { echo "FAIL"; cat run/metrics.jsonl; exit 1; }
echo "ok"
