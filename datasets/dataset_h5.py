"""Writing the generated scientific data sets (datasets/cosmo3d.py, shapes2d.py, signal1d.py).

Layout, the one dptrain's `data.*` options read: /train/x, /train/y, /test/x, /test/y (features
first, one sample per row along axis 0), chunked by samples, plus root attributes that say how the
file was made (generator, its version, seed, every parameter, the command line) so a file can be
regenerated and a result traced back to its data.
"""
import json
import sys

import h5py
import numpy as np

VERSION = 1


def chunk_rows(shape, itemsize, target_bytes=1 << 20):
    """Samples per chunk: about 1 MiB, at least one sample."""
    per_sample = int(np.prod(shape[1:], dtype=np.int64)) * itemsize
    return max(1, min(shape[0], target_bytes // max(per_sample, 1)))


def write_split(f, split, x, y):
    g = f.create_group(split)
    for name, a in (("x", x), ("y", y)):
        chunks = (chunk_rows(a.shape, a.dtype.itemsize),) + tuple(a.shape[1:])
        g.create_dataset(name, data=a, chunks=chunks)


def write(path, generator, seed, params, splits, extra_attrs=None):
    """splits: {"train": (x, y), "test": (x, y)}; params: the generator's settings (JSON-able)."""
    with h5py.File(path, "w") as f:
        f.attrs["generator"] = generator
        f.attrs["generator_version"] = VERSION
        f.attrs["seed"] = seed
        f.attrs["parameters"] = json.dumps(params, sort_keys=True)
        f.attrs["command"] = " ".join(sys.argv)
        for k, v in (extra_attrs or {}).items():
            f.attrs[k] = v
        for split, (x, y) in splits.items():
            write_split(f, split, x, y)
