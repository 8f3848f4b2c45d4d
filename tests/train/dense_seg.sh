#!/usr/bin/env bash
# Segmentation through the real executable: a tiny generated HDF5 file (features (N, 1, 8, 8) with a
# `layout` attribute, class maps (N, 8, 8) uint8 with ignored pixels 255), a conv net whose output is
# (3, 8, 8), loss cross_entropy with loss_ignore_index.
#  1. train.deterministic on 1, 2 and 4 ranks: the final model files' parameters are bit-identical;
#  2. evaluate (2 ranks) reports pixel accuracy, mean IoU and per-class IoU that numpy recomputes
#     from predict's class map; predict writes /probabilities (N, 3, 8, 8) and /predicted (N, 8, 8);
#  3. error paths, one error line each before training: labels out of range, a class map of the
#     wrong shape, a regression field whose size differs from the output, dense predictions to CSV.
set -uo pipefail
mpiexec=$1 dptrain=$2
py=/usr/bin/python3
$py -c 'import h5py, numpy' 2> /dev/null || { echo "skip: needs numpy and h5py"; exit 77; }
work=$(mktemp -d /tmp/dptrain-dense-seg-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }

$py - << 'PY'
import h5py, numpy as np
rng = np.random.default_rng(5)
def split(n):
    x = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    y = np.zeros((n, 8, 8), np.uint8)
    for i in range(n):
        r, c = rng.integers(0, 5, 2)
        y[i, r:r + 3, c:c + 3] = 1 + i % 2
        x[i, 0, r:r + 3, c:c + 3] += 1.0 if i % 2 == 0 else -1.0
    y[rng.random(y.shape) < 0.05] = 255
    return x, y
with h5py.File("seg.h5", "w") as f:
    for name, n in (("train", 48), ("test", 16)):
        x, y = split(n)
        f.create_dataset(f"{name}/x", data=x, chunks=(8, 1, 8, 8)).attrs["layout"] = "NCHW"
        f.create_dataset(f"{name}/y", data=y, chunks=(8, 8, 8))
        f.create_dataset(f"{name}/bad", data=np.where(y == 255, 7, y).astype(np.uint8))
        f.create_dataset(f"{name}/small", data=y[:, :4, :4])
        f.create_dataset(f"{name}/one", data=y[:, 0, 0])  # one label per sample
        f.create_dataset(f"{name}/field", data=np.zeros((n, 2, 8, 8), np.float32))
        f.create_dataset(f"{name}/field3", data=np.concatenate([2 * x + 1, -x, x * x], axis=1))
PY
cat > seg.yaml << 'YAML'
seed: 3
data:
  file: seg.h5
  train_features: /train/x
  train_labels: /train/y
  test_features: /test/x
  test_labels: /test/y
model:
  layers:
    - {type: conv2d, out_channels: 8, kernel_size: 3, padding: 1}
    - {type: relu}
    - {type: conv2d, out_channels: 3, kernel_size: 1}
loss: cross_entropy
loss_ignore_index: 255
train: {epochs: 3, batch_size: 8, deterministic: true, micro_shards: 4}
optimizer: {name: adam, lr: 0.01}
YAML
train() {  # train NP OUT [--set ...]
  local np=$1 out=$2; shift 2
  timeout 120 "$mpiexec" -n "$np" "$dptrain" train -q -c seg.yaml --out "$out" "$@" < /dev/null
}
for np in 1 2 4; do
  train $np r$np > r$np.log 2>&1 || { cat r$np.log; fail "training on $np ranks"; }
done
h5diff -q r1/model.h5 r2/model.h5 /params /params > /dev/null 2>&1 || fail "1 and 2 ranks: other parameters"
h5diff -q r1/model.h5 r4/model.h5 /params /params > /dev/null 2>&1 || fail "1 and 4 ranks: other parameters"
grep -q '"test_miou"' r1/metrics.jsonl || fail "metrics.jsonl has no test_miou"
# loss_ignore_index: no train accuracy (ignored pixels are not misses), in the metrics or the log
! grep -q '"train_accuracy"' r1/metrics.jsonl || fail "metrics.jsonl has a train_accuracy with ignored labels"
timeout 120 "$mpiexec" -n 1 "$dptrain" train -c seg.yaml --out rlog --set train.epochs=1 < /dev/null > rlog.log 2>&1 \
  || { cat rlog.log; fail "training with the log"; }
grep -Eq 'epoch 1/1: train loss [0-9.]+ \| ' rlog.log || { cat rlog.log; fail "the epoch line shows a train accuracy"; }
echo "ok: segmentation with train.deterministic: bit-identical parameters on 1, 2, 4 ranks"

timeout 60 "$mpiexec" -n 2 "$dptrain" evaluate -m r2/model.h5 --json < /dev/null > eval.json 2> eval.log \
  || { cat eval.log; fail "evaluate"; }
timeout 60 "$mpiexec" -n 2 "$dptrain" predict -m r2/model.h5 -o pred.h5 < /dev/null > pred.log 2>&1 \
  || { cat pred.log; fail "predict"; }
$py - << 'PY' || fail "evaluate/predict disagree with numpy"
import json, h5py, numpy as np
e = json.load(open("eval.json"))
with h5py.File("pred.h5", "r") as f, h5py.File("seg.h5", "r") as d:
    p, pred, y = f["probabilities"][()], f["predicted"][()], d["test/y"][()].astype(np.int64)
assert p.shape == (16, 3, 8, 8) and pred.shape == (16, 8, 8), (p.shape, pred.shape)
assert np.allclose(p.sum(axis=1), 1, atol=1e-5) and (p.argmax(axis=1) == pred).all()
keep = y != 255
acc = (pred[keep] == y[keep]).mean()
conf = np.zeros((3, 3), np.int64)
np.add.at(conf, (y[keep], pred[keep]), 1)
assert e["positions"] == keep.sum() and e["confusion"] == conf.tolist(), (e["positions"], e["confusion"])
assert abs(e["accuracy"] - acc) < 1e-12, (e["accuracy"], acc)
tp = np.diag(conf); union = conf.sum(0) + conf.sum(1) - tp
iou = [tp[c] / union[c] if union[c] else None for c in range(3)]
for a, b in zip(e["per_class_iou"], iou):
    assert (a is None and b is None) or abs(a - b) < 1e-12, (e["per_class_iou"], iou)
miou = np.mean([v for v in iou if v is not None])
assert abs(e["miou"] - miou) < 1e-12 and e["miou"] > 0.5, (e["miou"], miou)
print(f"pixel accuracy {acc:.4f}, mean IoU {miou:.4f}")
PY
echo "ok: evaluate's pixel accuracy, confusion and IoU match numpy on predict's class map"

one_error() {  # one_error LOG PATTERN: exactly one error line, containing PATTERN
  local n
  n=$(grep -c 'error' "$1")
  [ "$n" -eq 1 ] || { cat "$1"; fail "$1: $n error lines"; }
  grep -q -- "$2" "$1" || { cat "$1"; fail "$1: no '$2'"; }
}
train 2 bad1 --set data.train_labels=/train/bad > bad1.log 2>&1 && fail "labels out of range accepted"
one_error bad1.log "'/train/bad' (data.train_labels) row [0-9]* position ([0-9]*, [0-9]*) has label 7, outside \[0, 3)"
train 2 bad2 --set data.train_labels=/train/small --set data.test_labels=/test/small > bad2.log 2>&1 && fail "a small class map accepted"
one_error bad2.log "holds class maps of shape (4, 4) per sample but the model's output per sample is (3, 8, 8)"
train 2 bad3 --set loss=mse --set loss_ignore_index= --set data.train_labels=/train/field --set data.test_labels=/test/field > bad3.log 2>&1 \
  && fail "a field of the wrong size accepted"
one_error bad3.log "has regression targets of shape (2, 8, 8) (128 values) per sample but the model's output per sample is (3, 8, 8) (192 values)"
train 2 bad4 --set data.test_labels=/test/one > bad4.log 2>&1 && fail "per-sample test labels beside training maps accepted"
one_error bad4.log "test targets '/test/one' (data.test_labels) are one label per sample but training targets '/train/y' are (8, 8)"
for d in bad1 bad2 bad3 bad4; do [ ! -e $d/model.h5 ] || fail "$d: a model was written"; done
timeout 60 "$mpiexec" -n 2 "$dptrain" predict -m r2/model.h5 -o pred.csv < /dev/null > csv.log 2>&1 \
  && fail "dense predictions written to CSV"
one_error csv.log "dense predictions are written to HDF5 only"
echo "ok: wrong labels, map shape, field size, test labels unlike training's and CSV output: one error line each"

# A field regression: output (3, 8, 8) against targets (N, 3, 8, 8); per-channel metrics.
train 2 field --set loss=mse --set loss_ignore_index= --set data.train_labels=/train/field3 \
  --set data.test_labels=/test/field3 --set train.deterministic=false --set train.epochs=4 > field.log 2>&1 \
  || { cat field.log; fail "field regression"; }
grep -q '"test_r2_per_output":\[' field/metrics.jsonl || fail "metrics.jsonl has no test_r2_per_output"
timeout 60 "$mpiexec" -n 2 "$dptrain" evaluate -m field/model.h5 --labels /test/field3 --json < /dev/null > fe.json \
  2> fe.log || { cat fe.log; fail "evaluate a field model"; }
timeout 60 "$mpiexec" -n 2 "$dptrain" predict -m field/model.h5 --labels /test/field3 -o fp.h5 < /dev/null > fp.log 2>&1 \
  || { cat fp.log; fail "predict a field model"; }
$py - << 'PY' || fail "field metrics disagree with numpy"
import json, h5py, numpy as np
e = json.load(open("fe.json"))
with h5py.File("fp.h5", "r") as f, h5py.File("seg.h5", "r") as d:
    p, y = f["predicted"][()].astype(np.float64), d["test/field3"][()].astype(np.float64)
assert p.shape == (16, 3, 8, 8), p.shape
assert len(e["per_output"]) == 3
for t in range(3):
    err = p[:, t] - y[:, t]
    sse, sst = (err ** 2).sum(), ((y[:, t] - y[:, t].mean()) ** 2).sum()
    m = e["per_output"][t]
    assert abs(m["mse"] - (err ** 2).mean()) < 1e-6 * max(1, m["mse"]), (t, m, (err ** 2).mean())
    assert abs(m["mae"] - np.abs(err).mean()) < 1e-6, (t, m)
    assert abs(m["r2"] - (1 - sse / sst)) < 1e-6, (t, m, 1 - sse / sst)
print("per-channel r2", [round(m["r2"], 4) for m in e["per_output"]])
PY
echo "ok: field regression: per-channel mse, mae, r2 from evaluate match numpy on predict's (N, 3, 8, 8)"
