#!/usr/bin/env bash
# datasets/diabetes.sh [OUT.h5]   (default data/diabetes.h5; DPTRAIN_BIN=path/to/dptrain, default build/src/dptrain)
#   The diabetes regression data set (Efron, Hastie, Johnstone, Tibshirani 2004, "Least Angle
#   Regression"): 442 patients, 10 baseline variables (age, sex, bmi, bp, s1..s6, raw, not the
#   scaled copy), target: disease progression one year later (25..346). The files come from the
#   Debian package python3-sklearn (sklearn/datasets/data/diabetes_data_raw.csv.gz and
#   diabetes_target.csv.gz); when it is missing, `cluster/install-deps.sh --sklearn-data` installs it.
#   Writes data/diabetes.csv (header + 442 rows) and prepares it with
#     dptrain prepare csv --task regression --label progression --normalize zscore
#                         --standardize-target --split 0.7,0.15,0.15 --seed 1
#   so the features are z-scored and the stored target is (progression - mean) / sd of the
#   training split (attributes target_offset, target_scale on the labels: RMSE and MAE in the
#   original units are the reported ones divided by target_scale, i.e. times the sd).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/data/diabetes.h5}
dptrain=${DPTRAIN_BIN:-$root/build/src/dptrain}
src=/usr/lib/python3/dist-packages/sklearn/datasets/data
[ -x "$dptrain" ] || { echo "diabetes.sh: $dptrain not built (cmake -S . -B build && cmake --build build)" >&2; exit 2; }
[ -f "$src/diabetes_data_raw.csv.gz" ] || bash "$root/cluster/install-deps.sh" --sklearn-data
for f in diabetes_data_raw.csv.gz diabetes_target.csv.gz; do
  [ -f "$src/$f" ] || { echo "diabetes.sh: $src/$f not found (Debian package python3-sklearn)" >&2; exit 1; }
done
mkdir -p "$(dirname "$out")"
csv="${out%.h5}.csv"
{
  echo "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,progression"
  paste -d' ' <(zcat "$src/diabetes_data_raw.csv.gz") <(zcat "$src/diabetes_target.csv.gz") \
    | awk 'NF == 11 { $1 = $1; print }' OFS=,
} > "$csv"
rows=$(($(wc -l < "$csv") - 1))
[ "$rows" -eq 442 ] || { echo "diabetes.sh: expected 442 rows in $csv, got $rows" >&2; exit 1; }
"$dptrain" prepare csv "$csv" --task regression --label progression --out "$out" --normalize zscore \
  --standardize-target --split 0.7,0.15,0.15 --seed 1
