"""Writing the generated scientific data sets (datasets/cosmo3d.py, shapes2d.py, signal1d.py).

Layout, the one dptrain's `data.*` options read: /train/x, /train/y, /test/x, /test/y (features
first, one sample per row along axis 0), chunked by samples, plus root attributes that say how the
file was made (generator, its version, seed, every parameter, the command line) so a file can be
regenerated and a result traced back to its data. The features datasets carry a string attribute
`layout` naming their axes (NCL, NCHW, NCDHW): dptrain views each sample as the dims after N.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

VERSION = 1


def chunk_rows(shape, itemsize, target_bytes=1 << 20):
    """Samples per chunk: about 1 MiB, at least one sample."""
    per_sample = int(np.prod(shape[1:], dtype=np.int64)) * itemsize
    return max(1, min(shape[0], target_bytes // max(per_sample, 1)))


def write_split(f, split, x, y, layout):
    g = f.create_group(split)
    for name, a in (("x", x), ("y", y)):
        chunks = (chunk_rows(a.shape, a.dtype.itemsize),) + tuple(a.shape[1:])
        g.create_dataset(name, data=a, chunks=chunks)
    if layout:
        if len(layout) != x.ndim:
            raise ValueError(f"layout {layout} does not name the {x.ndim} axes of {x.shape}")
        g["x"].attrs["layout"] = layout


def write(path, generator, seed, params, splits, extra_attrs=None, layout=None):
    """splits: {"train": (x, y), "test": (x, y)}; params: the generator's settings (JSON-able).
    Written under PATH.tmp and renamed: an interrupted run never leaves a partial file at PATH."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["generator"] = generator
        f.attrs["generator_version"] = VERSION
        f.attrs["seed"] = seed
        f.attrs["parameters"] = json.dumps(params, sort_keys=True)
        f.attrs["command"] = " ".join(sys.argv)
        for k, v in (extra_attrs or {}).items():
            f.attrs[k] = v
        for split, (x, y) in splits.items():
            write_split(f, split, x, y, layout)
    os.replace(tmp, path)


def parse_args(doc, name, n_train, n_test, size_flag, size_default, size_min, size_help):
    """The generators' common command line: --out data/NAME.h5, --n-train, --n-test, the size
    flag, --seed. A wrong value ends with one argparse error line (exit 2), before any file."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[1])
    ap.add_argument("--out", default=f"data/{name}.h5")
    ap.add_argument("--n-train", type=int, default=n_train)
    ap.add_argument("--n-test", type=int, default=n_test)
    ap.add_argument(size_flag, type=int, default=size_default, help=size_help)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    size = getattr(a, size_flag.lstrip("-").replace("-", "_"))
    if size < size_min or a.n_train < 1 or a.n_test < 1:
        ap.error(f"{size_flag} must be >= {size_min} and the sample counts >= 1 "
                 f"(got {size_flag} {size}, --n-train {a.n_train}, --n-test {a.n_test})")
    return a, size


def generate(a, size, make, script, params, attrs, layout=None):
    """Draws the train split, then the test split, with make(n, size, rng) from one generator
    seeded by --seed, and writes them with the command line's settings plus `params`; `layout`
    (e.g. "NCL") becomes the features datasets' `layout` attribute."""
    rng = np.random.default_rng(a.seed)
    train, test = make(a.n_train, size, rng), make(a.n_test, size, rng)
    settings = {"n_train": a.n_train, "n_test": a.n_test, "size": size, **params}
    try:
        write(a.out, f"datasets/{script}", a.seed, settings, {"train": train, "test": test}, attrs, layout)
    except OSError as e:  # one line, not a traceback: the directory or file cannot be written
        sys.exit(f"{script}: error: cannot write {a.out}: {e.strerror or e}")
    print(f"{a.out}: train x {train[0].shape} y {train[1].shape}, test x {test[0].shape} y {test[1].shape}")
