"""What the Python tests of dptrain's interop share (tests/tools/test_dptrain_torch.py,
tests/onnx_export/test_onnx_export.py): small synthetic HDF5 data sets, models that use every
layer type, and running the dptrain executable on 2 ranks.

    kit = Kit(mpiexec, dptrain, work)   # work: a temporary directory
    kit.make_data()                     # images.h5 (8x8, 4 classes), table.h5 (12 features, zscore
                                        # normalization stored), reg.h5 (2 float targets)
    model = kit.train("cnn", kit.path("images.h5"), CNN, "1/255")   # RUN/model.h5
"""
import os
import subprocess
import sys

import h5py
import numpy as np
import yaml

# Every activation, on features with stored normalization.
MLP = [{"type": "dense", "units": 16}, {"type": "gelu", "approximate": "tanh"},
       {"type": "dense", "units": 16}, {"type": "leaky_relu", "negative_slope": 0.1},
       {"type": "dense", "units": 8}, {"type": "sigmoid"}, {"type": "dense", "units": 8}, {"type": "tanh"},
       {"type": "dense", "units": 4}]
# Batchnorm (images and features, eps other than the default), dropout, pooling with padding;
# strided, dilated, grouped and depthwise convolutions; exact gelu; a dense layer on an image (it
# flattens its input itself).
CNN = [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "bias": False},
       {"type": "batchnorm"}, {"type": "relu"},
       {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1},
       {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 2, "dilation": 2, "groups": 2},
       {"type": "batchnorm", "eps": 1e-3}, {"type": "gelu"},
       {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "groups": 8, "stride": 2},
       {"type": "avgpool2d", "kernel_size": 2, "stride": 1, "padding": 1},
       {"type": "dense", "units": 16}, {"type": "batchnorm"}, {"type": "relu"},
       {"type": "dropout", "p": 0.3}, {"type": "identity"}, {"type": "dense", "units": 4}]
# A graph: a repeated residual block (add), a branch merged by concat, global average pooling.
GRAPH = [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "name": "stem"},
         {"type": "block", "name": "body", "repeat": 2, "layers": [
             {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "bias": False},
             {"type": "batchnorm"}, {"type": "relu"},
             {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1, "name": "main"},
             {"type": "add", "inputs": ["main", "input"]}, {"type": "relu"}]},
         {"type": "conv2d", "out_channels": 4, "kernel_size": 1, "inputs": ["stem"], "name": "side"},
         {"type": "concat", "inputs": ["body", "side"]},
         {"type": "global_avgpool2d"}, {"type": "dense", "units": 4}]
# An encoder-decoder: pooling down, nearest upsampling, zero padding then a valid convolution, a
# skip connection (concat), a center crop, layernorm, global average pooling of any rank.
UNET = [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1, "name": "enc"}, {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2}, {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "upsample", "scale_factor": 2}, {"type": "pad", "padding": 1},
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "name": "dec"},
        {"type": "concat", "inputs": ["dec", "enc"]}, {"type": "crop", "crop": 1},
        {"type": "layernorm", "eps": 1e-4}, {"type": "relu"}, {"type": "global_avgpool"}, {"type": "dense", "units": 4}]
# Transposed convolutions, a U-Net's upsampling (kernel 2, stride 2) joined by concat to the stem, then
# one with per-axis kernel, dilation and output_padding.
UPSAMPLE = [{"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1, "name": "stem"},
            {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2},
            {"type": "conv_transpose2d", "out_channels": 4, "kernel_size": 2, "stride": 2, "name": "up"},
            {"type": "concat", "inputs": ["up", "stem"]},
            {"type": "conv_transpose2d", "out_channels": 3, "kernel_size": [3, 2], "stride": 2, "padding": 1,
             "output_padding": [1, 0], "dilation": [1, 2], "bias": False},
            {"type": "relu"}, {"type": "global_avgpool2d"}, {"type": "dense", "units": 4}]
# images.h5's class names: a quote and a backslash, which metadata written as JSON must escape.
CLASSES = ['top "left"', "top\\right", "bottom left", "bottom right"]
REGRESSION = [{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense", "units": 2}]


class Kit:
    def __init__(self, mpiexec, dptrain, work):
        self.mpiexec, self.dptrain, self.work = mpiexec, dptrain, work

    def path(self, name):
        return os.path.join(self.work, name)

    def make_data(self):
        rng = np.random.default_rng(7)
        y = rng.integers(0, 4, 160).astype(np.uint8)
        img = rng.integers(0, 120, (160, 8, 8)).astype(np.uint8)
        for c in range(4):  # a bright quadrant per class
            img[y == c, (c // 2) * 4:(c // 2) * 4 + 4, (c % 2) * 4:(c % 2) * 4 + 4] += 120
        feat = (rng.normal(size=(160, 12)) * 5 + 20 + y[:, None]).astype(np.float32)
        with h5py.File(self.path("images.h5"), "w") as f:
            f["train/x"], f["train/y"], f["test/x"], f["test/y"] = img[:128], y[:128], img[128:], y[128:]
            f.attrs["classes"] = CLASSES
        with h5py.File(self.path("table.h5"), "w") as f:
            f["train/x"], f["train/y"], f["test/x"], f["test/y"] = feat[:128], y[:128], feat[128:], y[128:]
            for split in ("train/x", "test/x"):  # zscore statistics of the training split
                f[split].attrs["normalize"] = "zscore"
                f[split].attrs["offset"] = feat[:128].mean(0).astype(np.float64)
                f[split].attrs["scale"] = 1.0 / feat[:128].std(0).astype(np.float64)
        with h5py.File(self.path("reg.h5"), "w") as f:  # regression: 2 float targets
            t = np.stack([feat[:, 0] * 0.1 + y, feat[:, 1] * 0.2], axis=1).astype(np.float32)
            f["train/x"], f["train/y"], f["test/x"], f["test/y"] = feat[:128], t[:128], feat[128:], t[128:]

    def run(self, *args, ranks=2, timeout=240):
        """dptrain ARGS on `ranks` ranks; exits the test with its output when it fails; returns stdout."""
        p = subprocess.run([self.mpiexec, "-n", str(ranks), self.dptrain, *args], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            sys.exit(f"FAIL: dptrain {' '.join(args)}\n{p.stdout}\n{p.stderr}")
        return p.stdout

    def train(self, name, data, layers, scale, extra=(), loss="cross_entropy"):
        """Trains `layers` for 2 epochs on `data` (/train/x, /train/y); returns RUN/model.h5."""
        cfg = {"loss": loss, "seed": 3,
               "data": {"file": data, "train_features": "/train/x", "train_labels": "/train/y",
                        "test_features": "/test/x", "test_labels": "/test/y", "scale": scale},
               "model": {"layers": layers}, "train": {"epochs": 2, "batch_size": 32},
               "optimizer": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.001}}
        path = self.path(name + ".yaml")
        with open(path, "w") as f:
            yaml.safe_dump(cfg, f)
        self.run("train", "-q", "-c", path, "--out", self.path(name), *extra)
        return self.path(os.path.join(name, "model.h5"))

    def predict(self, name, model, data, features="/test/x", labels="/test/y"):
        """`dptrain predict` of data's features: (probabilities, or the predicted values of a regression model)."""
        out = self.path(name + "_pred.h5")
        self.run("predict", "--model", model, "--data", data, "--features", features, "--labels", labels,
                 "--out", out)
        with h5py.File(out, "r") as f:
            return f["probabilities"][...] if "probabilities" in f else f["predicted"][...]
