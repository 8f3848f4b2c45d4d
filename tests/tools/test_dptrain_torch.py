"""tools/dptrain_torch.py against dptrain itself (ctest tools_dptrain_torch).

    /usr/bin/python3 test_dptrain_torch.py MPIEXEC DPTRAIN TOOLS_DIR

On synthetic HDF5 data, trains tiny models for a few steps on 2 ranks: an MLP (stored feature
normalization, gelu/leaky_relu/sigmoid/tanh), a CNN (batchnorm, dropout, pooling with padding,
strided, dilated, grouped and depthwise convolutions), a residual graph (a repeated block with add,
a concat, global average pooling) and a regression MLP (loss mse, 2 targets). For each, `dptrain
predict` and dptrain_torch.load() must give the same probabilities (regression: outputs) to a max
abs diff < 1e-5. Then the round trip PyTorch -> dptrain: state_dict -> HDF5 -> train.init_from
(every layer `trainable: false`, batchnorm momentum 0, one step) -> evaluate gives the same
accuracy and the same weights. Exits 77 (skipped) without python3-torch / python3-h5py / python3-yaml.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
    import yaml
except ImportError as e:
    print(f"SKIP: {e.name} is not installed (Debian: cluster/install-deps.sh --torch installs python3-torch, "
          "python3-h5py, python3-yaml)")
    sys.exit(77)

MPIEXEC, DPTRAIN, TOOLS = sys.argv[1:4]
sys.path.insert(0, TOOLS)
import dptrain_torch  # noqa: E402

MLP = [{"type": "dense", "units": 16}, {"type": "gelu", "approximate": "tanh"},
       {"type": "dense", "units": 16}, {"type": "leaky_relu", "negative_slope": 0.1},
       {"type": "dense", "units": 8}, {"type": "sigmoid"}, {"type": "dense", "units": 8}, {"type": "tanh"},
       {"type": "dense", "units": 4}]
CNN = [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "bias": False},
       {"type": "batchnorm"}, {"type": "relu"},
       {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
       {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 2, "dilation": 2, "groups": 2},
       {"type": "batchnorm"}, {"type": "gelu"},
       {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "groups": 8, "stride": 2},
       {"type": "avgpool2d", "kernel_size": 2, "stride": 1, "padding": 1},
       {"type": "flatten"}, {"type": "dense", "units": 16}, {"type": "batchnorm"}, {"type": "relu"},
       {"type": "dropout", "p": 0.3}, {"type": "identity"}, {"type": "dense", "units": 4}]
GRAPH = [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "name": "stem"},
         {"type": "block", "name": "body", "repeat": 2, "layers": [
             {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "bias": False},
             {"type": "batchnorm"}, {"type": "relu"},
             {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "name": "main"},
             {"type": "add", "inputs": ["main", "input"]}, {"type": "relu"}]},
         {"type": "conv2d", "out_channels": 4, "kernel_size": 1, "inputs": ["stem"], "name": "side"},
         {"type": "concat", "inputs": ["body", "side"]},
         {"type": "global_avgpool2d"}, {"type": "dense", "units": 4}]


def make_data(work):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 4, 160).astype(np.uint8)
    img = rng.integers(0, 120, (160, 8, 8)).astype(np.uint8)
    for c in range(4):  # a bright quadrant per class
        img[y == c, (c // 2) * 4:(c // 2) * 4 + 4, (c % 2) * 4:(c % 2) * 4 + 4] += 120
    feat = (rng.normal(size=(160, 12)) * 5 + 20 + y[:, None]).astype(np.float32)
    with h5py.File(os.path.join(work, "images.h5"), "w") as f:
        f["train/x"], f["train/y"], f["test/x"], f["test/y"] = img[:128], y[:128], img[128:], y[128:]
    with h5py.File(os.path.join(work, "table.h5"), "w") as f:
        f["train/x"], f["train/y"], f["test/x"], f["test/y"] = feat[:128], y[:128], feat[128:], y[128:]
        for split in ("train/x", "test/x"):  # zscore statistics of the training split
            f[split].attrs["normalize"] = "zscore"
            f[split].attrs["offset"] = feat[:128].mean(0).astype(np.float64)
            f[split].attrs["scale"] = 1.0 / feat[:128].std(0).astype(np.float64)
    with h5py.File(os.path.join(work, "reg.h5"), "w") as f:  # regression: 2 float targets
        t = np.stack([feat[:, 0] * 0.1 + y, feat[:, 1] * 0.2], axis=1).astype(np.float32)
        f["train/x"], f["train/y"], f["test/x"], f["test/y"] = feat[:128], t[:128], feat[128:], t[128:]


def run(*args):
    p = subprocess.run([MPIEXEC, "-n", "2", DPTRAIN, *args], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=240)
    if p.returncode != 0:
        sys.exit(f"FAIL: dptrain {' '.join(args)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def train(work, name, data, layers, scale, extra=(), loss="cross_entropy"):
    cfg = {"loss": loss, "seed": 3, "data": {"file": data, "train_features": "/train/x", "train_labels": "/train/y",
                               "test_features": "/test/x", "test_labels": "/test/y", "scale": scale},
           "model": {"layers": layers}, "train": {"epochs": 2, "batch_size": 32},
           "optimizer": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.001}}
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    run("train", "-q", "-c", path, "--out", os.path.join(work, name), *extra)
    return os.path.join(work, name, "model.h5")


def check_predict(work, name, model, data):
    out = os.path.join(work, name + "_pred.h5")
    run("predict", "--model", model, "--data", data, "--features", "/test/x", "--labels", "/test/y", "--out", out)
    with h5py.File(out, "r") as f:
        want = f["probabilities"][...]
    with h5py.File(data, "r") as f:
        raw = f["test/x"][...]
    net = dptrain_torch.load(model, data=data, features="/test/x")
    with torch.no_grad():
        got = net(raw).numpy()
    diff = float(np.abs(got - want).max())
    print(f"{name}: {got.shape[0]} rows, max abs diff of the probabilities {diff:.2e}")
    if not diff < 1e-5:
        sys.exit(f"FAIL: {name}: PyTorch and dptrain predict differ by {diff}")
    with torch.no_grad():  # the normalization found through the config's data.file/train_features
        same = np.array_equal(dptrain_torch.load(model)(raw).numpy(), got)
    if not same:
        sys.exit(f"FAIL: {name}: load() without data= converts the features differently")
    return net


def check_regression(work):
    data = os.path.join(work, "reg.h5")
    model = train(work, "reg", data, [{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense", "units": 2}],
                  1 / 16, loss="mse")
    out = os.path.join(work, "reg_pred.h5")
    run("predict", "--model", model, "--data", data, "--features", "/test/x", "--labels", "/test/y", "--out", out)
    with h5py.File(out, "r") as f, h5py.File(data, "r") as g:
        want, raw = f["predicted"][...], g["test/x"][...]
    with torch.no_grad():
        got = dptrain_torch.load(model, data=data, features="/test/x")(raw).numpy()
    diff = float(np.abs(got - want).max())
    print(f"regression: {got.shape} outputs, max abs diff {diff:.2e}")
    if got.shape != want.shape or not diff < 1e-5:
        sys.exit(f"FAIL: regression: PyTorch {got.shape} and dptrain predict {want.shape} differ by {diff}")


def accuracy(model, data):
    out = run("evaluate", "--model", model, "--data", data, "--features", "/test/x", "--labels", "/test/y", "--json")
    return json.loads(out.strip().splitlines()[-1])["accuracy"]


def freeze(layers):
    """Every entry `trainable: false` (block bodies too), batchnorm statistics kept (momentum 0)."""
    out = []
    for e in layers:
        if e["type"] == "block":
            out.append(dict(e, layers=freeze(e["layers"])))
        else:
            out.append(dict(e, trainable=False, **({"momentum": 0.0} if e["type"] == "batchnorm" else {})))
    return out


def round_trip(work, name, net, model, data, layers, scale):
    sd_path = os.path.join(work, name + "_sd.h5")
    with h5py.File(sd_path, "w") as f:  # the snippet of docs/interop.md
        for k, v in net.state_dict().items():
            f[k] = v.numpy()
    frozen = freeze(layers)
    again = train(work, name + "_again", data, frozen, scale,
                  ["--set", f"train.init_from={sd_path}", "--set", "train.max_steps=1"])
    a, b = accuracy(model, data), accuracy(again, data)
    with h5py.File(model, "r") as f, h5py.File(again, "r") as g:
        same = all(np.array_equal(f[grp][k][...], g[grp][k][...]) for grp in ("params", "buffers") for k in f[grp])
    print(f"{name} round trip: accuracy {a} -> {b}, weights identical: {same}")
    if a != b or not same:
        sys.exit(f"FAIL: {name}: init_from of the PyTorch state_dict did not give the same model")


def main():
    with tempfile.TemporaryDirectory(prefix="dptrain-torch-") as work:
        make_data(work)
        images, table = os.path.join(work, "images.h5"), os.path.join(work, "table.h5")
        for name, data, layers, scale in (("mlp", table, MLP, 1), ("cnn", images, CNN, "1/255"),
                                          ("graph", images, GRAPH, "1/255")):
            model = train(work, name, data, layers, scale)
            net = check_predict(work, name, model, data)
            if name != "mlp":
                round_trip(work, name, net, model, data, layers, scale)
        check_regression(work)
        try:
            dptrain_torch._layer({"index": 3, "type": "capsule", "options": {}}, [[4]])
            sys.exit("FAIL: an unknown layer type was accepted")
        except ValueError as e:
            assert "layer 3 has type 'capsule'" in str(e), e
    print("dptrain_torch ok")


main()
