#!/usr/bin/env bash
# `dptrain prepare ... --compression none` writes datasets without filters (for streaming), the
# default writes shuffle + gzip; both train to the same result; a wrong value is a clear error.
# usage: prepare_compression.sh MPIEXEC DPTRAIN
set -euo pipefail
mpiexec=$1 dptrain=$2
work=$(mktemp -d /tmp/dptrain-compression-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
awk 'BEGIN { srand(3); print "a,b,label"; for (i = 0; i < 600; i++) { c = i % 2; print rand() + c "," rand() - c "," c } }' > t.csv
"$dptrain" prepare csv t.csv --label label --out gz.h5 > prepare.log 2>&1 || { cat prepare.log; fail "prepare"; }
"$dptrain" prepare csv t.csv --label label --out raw.h5 --compression none > prepare.log 2>&1 || { cat prepare.log; fail "prepare"; }
h5dump -p -H gz.h5 > gz.txt && h5dump -p -H raw.h5 > raw.txt
grep -q DEFLATE gz.txt || fail "the default lost its gzip filter"
if grep -qE "DEFLATE|SHUFFLE" raw.txt; then fail "--compression none still filters"; fi
h5diff gz.h5 raw.h5 > /dev/null || fail "the two files hold different data"
cat > run.yaml <<'YAML'
seed: 1
data: {train_features: /train/features, train_labels: /train/labels, test_features: /test/features,
       test_labels: /test/labels, memory_budget: 64KiB}
model: {layers: [{type: dense, units: 2}]}
train: {epochs: 2, batch_size: 32}
YAML
for f in gz raw; do
  timeout 120 "$mpiexec" -n 2 "$dptrain" train -q -c run.yaml --out run_$f --set data.file=$f.h5 < /dev/null > train_$f.log 2>&1 ||
    { cat train_$f.log; fail "training on $f.h5"; }
done
h5diff run_gz/model.h5 run_raw/model.h5 /params /params > /dev/null || fail "training differs between the two files"
out=$("$dptrain" prepare csv t.csv --label label --out bad.h5 --compression lz4 2>&1) && fail "lz4 accepted"
grep -q -- "--compression: lz4 not in {gzip,none}" <<<"$out" || fail "unclear error: $out"
echo ok
