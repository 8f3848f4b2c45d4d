"""tools/dptrain_torch.py against dptrain itself (ctest tools_dptrain_torch).

    /usr/bin/python3 test_dptrain_torch.py MPIEXEC DPTRAIN TOOLS_DIR

On synthetic HDF5 data, trains tiny models for a few steps on 2 ranks: an MLP (stored feature
normalization, gelu/leaky_relu/sigmoid/tanh), a CNN (batchnorm, dropout, pooling with padding,
strided, dilated, grouped and depthwise convolutions), a residual graph (a repeated block with add,
a concat, global average pooling), an encoder-decoder (upsample, pad, crop, layernorm, global_avgpool),
transposed convolutions (a U-Net's upsampling joined by concat, per-axis sizes, output_padding)
and a regression MLP (loss mse, 2 targets); first, the modules of the layers over signals and volumes
(maxpool1d/3d, avgpool1d/3d, global_avgpool, upsample, pad, crop, layernorm, batchnorm 1d/3d) on the
PyTorch golden files of tests/golden/layers (y to 1e-12), and those of conv1d, conv3d,
conv_transpose2d and conv_transpose3d. For each, `dptrain
predict` and dptrain_torch.load() must give the same probabilities (regression: outputs) to a max
abs diff < 1e-5. Then the round trip PyTorch -> dptrain: state_dict -> HDF5 -> train.init_from
(every layer `trainable: false`, batchnorm momentum 0, one step) -> evaluate gives the same
accuracy and the same weights. Exits 77 (skipped) without python3-torch / python3-h5py / python3-yaml.
"""
import json
import os
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
    import yaml  # dptrain_testkit writes the configs with it; the golden files' layer lines
except ImportError as e:
    print(f"SKIP: {e.name} is not installed (Debian: cluster/install-deps.sh --torch installs python3-torch, "
          "python3-h5py, python3-yaml)")
    sys.exit(77)

MPIEXEC, DPTRAIN, TOOLS = sys.argv[1:4]
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import dptrain_torch  # noqa: E402
from dptrain_testkit import CNN, GRAPH, MLP, REGRESSION, UNET, UPSAMPLE, Kit  # noqa: E402

kit = None  # the Kit of main()'s work directory


def run(*args):
    return kit.run(*args)


def train(work, name, data, layers, scale, extra=(), loss="cross_entropy"):
    return kit.train(name, data, layers, scale, extra, loss)


def check_predict(work, name, model, data):
    want = kit.predict(name, model, data)
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
    model = train(work, "reg", data, REGRESSION, 1 / 16, loss="mse")
    want = kit.predict("reg", model, data)
    with h5py.File(data, "r") as g:
        raw = g["test/x"][...]
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


# The golden cases (tests/golden/layers, PyTorch float64) of the layers over signals and volumes:
# dptrain_torch's module of each must give the file's y (and the module's defaults match dptrain's).
GOLDEN_CASES = ["maxpool1d_k3_s2_p1", "maxpool1d_k2_s2_p0", "avgpool1d_k4_s2_p2", "maxpool3d_k2_s2_p0",
                "maxpool3d_k3_s2_p1", "avgpool3d_k3_s2_p1", "avgpool3d_k2_s1_p0", "global_avgpool_1d",
                "global_avgpool_3d", "upsample_1d_x2", "upsample_2d_x3", "upsample_3d_x2", "pad_1d", "pad_3d",
                "crop_2d", "crop_3d", "layernorm_2d", "layernorm_1d_eps", "layernorm_3d_noaffine",
                "batchnorm1d_signal_train", "batchnorm1d_signal_eval", "batchnorm3d_train", "batchnorm3d_eval",
                "conv1d_k5_s2_p2", "conv1d_k3_d2_g2_nobias", "conv3d_k3_s1_p1", "conv3d_per_axis",
                "conv3d_k3_s2_g2_nobias", "conv_transpose2d_k2_s2", "conv_transpose2d_k3_s2_p1_op1",
                "conv_transpose3d_k2_s2", "conv_transpose3d_per_axis_nobias"]
DEFAULTS = {"conv_transpose2d": {"groups": 1}, "conv_transpose3d": {"groups": 1},"maxpool1d": {"stride": 0, "padding": 0}, "upsample": {"scale_factor": 2},
            "layernorm": {"eps": 1e-5, "elementwise_affine": True},
            "batchnorm": {"momentum": 0.1, "eps": 1e-5, "sync": False}}


def read_golden(path):
    g = {"tensors": {}}
    name, shape, vals = None, None, []
    for line in open(path):
        w = line.split()
        if not w or w[0] == "#":
            continue
        if w[0] == "layer":
            g["layer"] = yaml.safe_load(line[len("layer "):])
        elif w[0] in ("input", "batch", "training"):
            g[w[0]] = [int(v) for v in w[1:]]
        elif w[0] == "tensor":
            name, shape, vals = w[1], [int(v) for v in w[2:]], []
            g["tensors"][name] = (shape, vals)
        else:
            vals.extend(float(v) for v in w)
    g["tensors"] = {k: torch.tensor(v, dtype=torch.float64).reshape(s) for k, (s, v) in g["tensors"].items()}
    return g


def check_goldens():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "layers")
    for case in GOLDEN_CASES:
        g = read_golden(os.path.join(root, case + ".txt"))
        t = g["layer"].pop("type")
        opts = dict(DEFAULTS.get("maxpool1d" if "pool" in t and t != "global_avgpool" else t, {}), **g["layer"])
        opts = {k: float(v) if isinstance(v, str) else v for k, v in opts.items()}  # YAML 1.1 reads 1e-3 as text
        mod = dptrain_torch._layer({"index": 0, "type": t, "options": opts}, [g["input"]]).double()
        state = {k: v for k, v in g["tensors"].items() if k in dict(mod.named_parameters()) or k in dict(mod.named_buffers())}
        mod.load_state_dict(state, strict=False)
        mod.train(bool(g["training"][0]))
        with torch.no_grad():
            y = mod(g["tensors"]["x"])
        err = float((y - g["tensors"]["y"]).abs().max())
        if err > 1e-12:
            sys.exit(f"FAIL: dptrain_torch's {t} on golden {case}: max abs diff {err}")
    print(f"dptrain_torch: {len(GOLDEN_CASES)} golden cases of the N-d layers match")


def main():
    global kit
    check_goldens()
    with tempfile.TemporaryDirectory(prefix="dptrain-torch-") as work:
        kit = Kit(MPIEXEC, DPTRAIN, work)
        kit.make_data()
        images, table = os.path.join(work, "images.h5"), os.path.join(work, "table.h5")
        for name, data, layers, scale in (("mlp", table, MLP, 1), ("cnn", images, CNN, "1/255"),
                                          ("graph", images, GRAPH, "1/255"), ("unet", images, UNET, "1/255"),
                                          ("upsample", images, UPSAMPLE, "1/255")):
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
