"""Rebuild a dptrain model file (RUN/model.h5) as a PyTorch module, in eval form.

    import dptrain_torch                      # tools/ on sys.path (or PYTHONPATH=tools)
    net = dptrain_torch.load("runs/cnn/model.h5")
    probs = net(raw_features)                 # = what `dptrain predict` writes for those rows

`raw_features` are the rows as stored in the data file: (N, D), (N, H, W), (N, C, H, W) (or any
(N, model input...)), any numeric dtype (a numpy array or a tensor). The module converts them as dptrain does (float32,
times data.scale, or with the stored feature normalization (raw - offset) * scale * data.scale),
runs the layer graph and ends with a softmax for a classifier (loss cross_entropy) or returns the
outputs for a regression model (loss mse). load(..., probabilities=False) returns the logits.

The module's state_dict has dptrain's names (layers.K.weight, layers.K.running_mean, ...; a
merge node is a module without parameters): `net.state_dict()` written to HDF5 is what
`train.init_from` reads (docs/interop.md). An unknown layer type raises ValueError naming it.
Needs python3-torch, python3-h5py, python3-numpy, python3-yaml (Debian: cluster/install-deps.sh --torch).
"""
import json
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["load", "DptrainNet", "read_feature_norm"]


class Dense(nn.Linear):
    """dptrain's dense: flattens its input (any per-sample shape) first."""

    def forward(self, x):
        return super().forward(x.flatten(1))


class AvgPool(nn.Module):
    """avgpool2d with zero padding counted in the average (any padding, unlike nn.AvgPool2d)."""

    def __init__(self, k, stride, pad):
        super().__init__()
        self.k, self.stride, self.pad = k, stride, pad

    def forward(self, x):
        if self.pad:
            x = F.pad(x, (self.pad,) * 4)
        return F.avg_pool2d(x, self.k, self.stride)


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class GlobalAvgPoolNd(nn.Module):
    """global_avgpool: the mean over every spatial position of (N, C, ...), flattened to (N, C)."""

    def forward(self, x):
        return x.flatten(2).mean(2)


class PadCrop(nn.Module):
    """pad (zeros) or crop (a center crop) of `by` on each side of every spatial axis of (N, C, ...)."""

    def __init__(self, kind, by):
        super().__init__()
        self.kind, self.by = kind, by

    def forward(self, x):
        if self.kind == "pad":
            return F.pad(x, (self.by,) * (2 * (x.dim() - 2)))
        b = self.by
        return x[(slice(None), slice(None)) + tuple(slice(b, n - b) for n in x.shape[2:])]


class Merge(nn.Module):
    """add (a sum in the order given) or concat (along channels, the first axis of a sample)."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, *xs):
        if self.kind == "concat":
            return torch.cat(xs, dim=1)
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


def _batchnorm(o, in_shape):
    """(D) and (C, L): BatchNorm1d; (C, H, W): BatchNorm2d; (C, D, H, W): BatchNorm3d."""
    bn = {1: nn.BatchNorm1d, 2: nn.BatchNorm1d, 3: nn.BatchNorm2d, 4: nn.BatchNorm3d}[len(in_shape)]
    return bn(in_shape[0], eps=o["eps"], momentum=o["momentum"])


def _stride(o):
    return o["stride"] if o["stride"] > 0 else o["kernel_size"]


def _axes(v):
    """A per-axis option as torch takes it: an int, or a tuple with one value per axis."""
    return tuple(v) if isinstance(v, list) else v


def _layer(node, in_shapes):
    """The torch module of one node of the stored graph."""
    t, o, shape = node["type"], node["options"], in_shapes[0]
    if t in ("add", "concat"):
        return Merge(t)
    if t == "dense":
        return Dense(int(np.prod(shape)), o["units"], bias=o["bias"])
    if t == "conv2d":
        return nn.Conv2d(shape[0], o["out_channels"], o["kernel_size"], stride=o["stride"], padding=o["padding"],
                         dilation=o["dilation"], groups=o["groups"], bias=o["bias"])
    if t in ("conv1d", "conv3d"):
        conv = nn.Conv1d if t == "conv1d" else nn.Conv3d
        return conv(shape[0], o["out_channels"], _axes(o["kernel_size"]), stride=_axes(o["stride"]),
                    padding=_axes(o["padding"]), dilation=_axes(o["dilation"]), groups=o["groups"], bias=o["bias"])
    if t in ("conv_transpose2d", "conv_transpose3d"):
        conv = nn.ConvTranspose2d if t == "conv_transpose2d" else nn.ConvTranspose3d
        return conv(shape[0], o["out_channels"], _axes(o["kernel_size"]), stride=_axes(o["stride"]),
                    padding=_axes(o["padding"]), output_padding=_axes(o["output_padding"]),
                    dilation=_axes(o["dilation"]), groups=o["groups"], bias=o["bias"])
    if t == "maxpool2d":
        return nn.MaxPool2d(o["kernel_size"], _stride(o), o["padding"])
    if t == "avgpool2d":
        return AvgPool(o["kernel_size"], _stride(o), o["padding"])
    if t == "batchnorm":
        return _batchnorm(o, shape)
    if t in ("maxpool1d", "maxpool3d"):
        return (nn.MaxPool1d if t[-2] == "1" else nn.MaxPool3d)(o["kernel_size"], _stride(o), o["padding"])
    if t in ("avgpool1d", "avgpool3d"):  # padding <= kernel / 2, as PyTorch's pools need
        return (nn.AvgPool1d if t[-2] == "1" else nn.AvgPool3d)(o["kernel_size"], _stride(o), o["padding"],
                                                                  count_include_pad=True)
    if t == "upsample":
        return nn.Upsample(scale_factor=o["scale_factor"], mode="nearest")
    if t in ("pad", "crop"):
        return PadCrop(t, o["padding"] if t == "pad" else o["crop"])
    if t == "layernorm":
        return nn.LayerNorm(list(shape), eps=o["eps"], elementwise_affine=o["elementwise_affine"])
    if t == "gelu":
        return nn.GELU(approximate="tanh" if o["approximate"] == "tanh" else "none")
    if t == "leaky_relu":
        return nn.LeakyReLU(o["negative_slope"])
    if t == "dropout":
        return nn.Dropout(o["p"])
    simple = {"global_avgpool2d": GlobalAvgPool, "global_avgpool": GlobalAvgPoolNd, "flatten": nn.Flatten, "relu": nn.ReLU, "sigmoid": nn.Sigmoid,
              "tanh": nn.Tanh, "identity": nn.Identity}
    if t in simple:
        return simple[t]()
    raise ValueError(f"dptrain_torch: layer {node['index']} has type '{t}', which dptrain_torch cannot rebuild "
                     f"(known: {', '.join(sorted(list(simple) + _OTHER_TYPES))})")


_OTHER_TYPES = ["add", "concat", "dense", "conv2d", "conv1d", "conv3d", "conv_transpose2d", "conv_transpose3d",
                "maxpool2d", "avgpool2d", "batchnorm", "gelu", "leaky_relu", "dropout", "maxpool1d", "maxpool3d",
                "avgpool1d", "avgpool3d", "upsample", "pad", "crop", "layernorm"]


class InputTransform(nn.Module):
    """Raw stored features -> the model's input, as dptrain's reader converts them."""

    def __init__(self, input_shape, data_scale, offset=None, scale=None):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.data_scale = np.float32(data_scale)
        # Non-persistent: the state_dict holds only dptrain's tensors.
        self.register_buffer("offset", None if offset is None else torch.tensor(offset, dtype=torch.float32),
                             persistent=False)
        mul = None if scale is None else (np.asarray(scale, np.float64) * np.float64(self.data_scale))
        self.register_buffer("mul", None if mul is None else torch.tensor(mul.astype(np.float32)), persistent=False)

    def forward(self, raw):
        x = torch.as_tensor(np.asarray(raw) if not torch.is_tensor(raw) else raw)
        x = x.to(torch.float32).reshape(x.shape[0], -1)
        if self.offset is not None:
            x = (x - self.offset) * self.mul
        else:
            x = x * torch.tensor(self.data_scale)
        return x.reshape((x.shape[0],) + self.input_shape)


class DptrainNet(nn.Module):
    """The stored graph: layers[k] is node k; node k takes the outputs of nodes inputs[k] (-1: the input)."""

    def __init__(self, graph, input_shape, transform, probabilities):
        super().__init__()
        self.input = transform
        self.inputs = [list(n["inputs"]) for n in graph]
        self.names = [n["name"] for n in graph]
        shapes = {-1: list(input_shape)}
        mods = []
        for n in graph:
            mods.append(_layer(n, [shapes[i] for i in n["inputs"]]))
            shapes[n["index"]] = n["output_shape"]
        self.layers = nn.ModuleList(mods)
        self.probabilities = probabilities

    def forward(self, raw, transform=True):
        x = self.input(raw) if transform else raw
        outs = {-1: x}
        for k, layer in enumerate(self.layers):
            outs[k] = layer(*[outs[i] for i in self.inputs[k]])
        y = outs[len(self.layers) - 1]
        return torch.softmax(y, dim=1) if self.probabilities else y


def _parse_scale(v):
    text = str(v)
    if "/" in text:
        a, b = text.split("/", 1)
        return float(a) / float(b)
    return float(text)


def read_feature_norm(data_file, features, num_features):
    """(offset, scale) of the features dataset's stored normalization, or (None, None)."""
    with h5py.File(data_file, "r") as f:
        attrs = f[features].attrs
        if "offset" not in attrs:
            return None, None
        offset = np.broadcast_to(np.asarray(attrs["offset"], np.float64), (num_features,))
        scale = np.broadcast_to(np.asarray(attrs["scale"], np.float64), (num_features,))
        return offset.astype(np.float32), scale


def _config_norm(cfg, num_features):
    """The normalization of the training features the model's config names, when that file is here."""
    data = cfg.get("data", {}) or {}
    files = data.get("file")
    files = files if isinstance(files, list) else [files]
    features = data.get("train_features", "/train/images")
    if files and files[0] and os.path.isfile(str(files[0])):
        return read_feature_norm(str(files[0]), features, num_features)
    return None, None


def load(path, data=None, features=None, probabilities=None):
    """The model of a dptrain model file as an eval-mode torch.nn.Module (float32, on the CPU).

    data, features: the HDF5 file and features dataset whose stored normalization to apply (the
    file `dptrain predict --data` reads; features default: the config's data.test_features, else
    /test/images); data default: the training data the model's config names (data.file,
    data.train_features), when that file exists, else no normalization. probabilities: softmax at the
    end (default: True for loss cross_entropy, False for mse).
    """
    import yaml

    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "dptrain-model":
            raise ValueError(f"{path}: not a dptrain model file (no format = 'dptrain-model' attribute)")
        if "graph" not in f.attrs:
            raise ValueError(f"{path}: has no 'graph' attribute (written by a dptrain before it); retrain, or "
                             "evaluate it with dptrain")
        graph = json.loads(f.attrs["graph"])
        cfg = yaml.safe_load(f.attrs["config"])
        input_shape = [int(v) for v in f.attrs["input_shape"]]
        tensors = {k: torch.from_numpy(np.asarray(f["params"][k], np.float32)) for k in f["params"]}
        tensors.update({k: torch.from_numpy(np.asarray(f["buffers"][k], np.float32)) for k in f["buffers"]})
    D = int(np.prod(input_shape))
    if data is not None:
        features = features or (cfg.get("data", {}) or {}).get("test_features") or "/test/images"
        offset, scale = read_feature_norm(data, features, D)
    else:
        offset, scale = _config_norm(cfg, D)
    data_scale = _parse_scale((cfg.get("data", {}) or {}).get("scale", 1))
    if probabilities is None:
        probabilities = cfg.get("loss", "cross_entropy") != "mse"
    net = DptrainNet(graph, input_shape, InputTransform(input_shape, data_scale, offset, scale), probabilities)
    missing, unexpected = net.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{path}: tensors do not match the graph: missing {missing}, unexpected {unexpected}")
    return net.eval()
