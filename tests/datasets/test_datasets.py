#!/usr/bin/env python3
"""The generators of datasets/ (cosmo3d.py, shapes2d.py, signal1d.py): run each at a small size and
check what a user relies on: the layout dptrain reads (/train|test/x|y, shapes, types, chunked by
samples), the attributes that say how the file was made, the same bytes for the same seed, one
error line for a wrong size, and that the task is real: the parameters are recoverable from the
fields' power spectra, the class maps match the images, the signal classes are separable.

    /usr/bin/python3 tests/datasets/test_datasets.py   (needs numpy and h5py: cluster/install-deps.sh --torch)
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:  # cluster/install-deps.sh --torch installs them
    print(f"skipped: {e}")
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(script, out, *args):
    cmd = [sys.executable, os.path.join(ROOT, "datasets", script), "--out", out, *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def load(path):
    with h5py.File(path, "r") as f:
        d = {k: f[k][()] for k in ("train/x", "train/y", "test/x", "test/y")}
        d["chunks"] = f["train/x"].chunks
        d["attrs"] = dict(f.attrs)
        d["layout"] = (f["train/x"].attrs.get("layout"), f["test/x"].attrs.get("layout"))
    return d


def common(tmp, script, args, x_shape, y_shape, x_dtype, y_dtype):
    a, b, c = (os.path.join(tmp, f"{script}.{k}.h5") for k in "abc")
    r = run(script, a, *args)
    check(r.returncode == 0, f"{script} runs ({r.stderr.strip()[-200:]})")
    run(script, b, *args)
    run(script, c, *args, "--seed", "2")
    d, same, other = load(a), load(b), load(c)
    check(d["train/x"].shape == x_shape and d["train/y"].shape == y_shape, f"{script}: shapes {d['train/x'].shape} {d['train/y'].shape}")
    check(d["train/x"].dtype == x_dtype and d["train/y"].dtype == y_dtype, f"{script}: types {d['train/x'].dtype} {d['train/y'].dtype}")
    check(d["chunks"] is not None and d["chunks"][1:] == x_shape[1:], f"{script}: chunked by whole samples {d['chunks']}")
    at = d["attrs"]
    check(at["generator"] == f"datasets/{script}" and at["seed"] == 1 and "parameters" in at and script in at["command"],
          f"{script}: attributes name the generator, seed, parameters and command")
    json.loads(at["parameters"])
    want = {3: "NCL", 4: "NCHW", 5: "NCDHW"}[len(x_shape)]
    check(d["layout"] == (want, want), f"{script}: features carry layout {want} ({d['layout']})")
    check(all(np.array_equal(d[k], same[k]) for k in ("train/x", "train/y", "test/x", "test/y")),
          f"{script}: the same seed gives the same data")
    check(not np.array_equal(d["train/x"], other["train/x"]), f"{script}: another seed gives other data")
    check(np.isfinite(d["train/x"]).all() and np.isfinite(d["test/x"]).all(), f"{script}: finite")
    bad = run(script, os.path.join(tmp, "bad.h5"), "--n-train", "0")
    check(bad.returncode == 2 and "--n-train" not in bad.stdout and bad.stderr.count("error:") == 1
          and not os.path.exists(os.path.join(tmp, "bad.h5")), f"{script}: a wrong count is one error line, no file")
    return d


def radial_power(x):
    """x: (N, D, D, D) -> (k bins 1..D/2-1, N) radially averaged |FFT|^2."""
    D = x.shape[-1]
    f = np.fft.fftfreq(D) * D
    k = np.sqrt(f[:, None, None] ** 2 + f[None, :, None] ** 2 + f[None, None, :] ** 2)
    p = np.abs(np.fft.fftn(x, axes=(1, 2, 3))) ** 2
    bins = np.arange(1, D // 2)
    return bins, np.stack([p[:, (k >= b - 0.5) & (k < b + 0.5)].mean(axis=1) for b in bins])


def test_cosmo3d(tmp):
    d = common(tmp, "cosmo3d.py", ["--n-train", "96", "--n-test", "8", "--size", "16"], (96, 1, 16, 16, 16),
               (96, 2), np.float32, np.float32)
    y = d["train/y"]
    check(y.min() >= -1 and y.max() <= 1, "cosmo3d: targets in [-1, 1]")
    low, high = d["attrs"]["param_low"], d["attrs"]["param_high"]
    amp, slope = (low + (y + 1) / 2 * (high - low)).T
    bins, p = radial_power(d["train/x"][:, 0].astype(np.float64))
    keep = (bins >= 2) & (bins <= 4)  # below the cutoff: P ~ amplitude^2 k^-slope
    fit = np.polyfit(np.log(bins[keep]), np.log(p[keep]), 1)  # per field: slope, intercept
    r_slope = np.corrcoef(-fit[0], slope)[0, 1]
    r_amp = np.corrcoef(fit[1] + fit[0] * np.log(2.0), 2 * np.log(amp))[0, 1]
    check(r_slope > 0.8, f"cosmo3d: the power spectrum's log-log slope follows the slope parameter (r = {r_slope:.3f})")
    check(r_amp > 0.8, f"cosmo3d: the power at the pivot follows the amplitude (r = {r_amp:.3f})")


def test_shapes2d(tmp):
    d = common(tmp, "shapes2d.py", ["--n-train", "64", "--n-test", "8", "--size", "32"], (64, 1, 32, 32),
               (64, 32, 32), np.float32, np.uint8)
    x, y = d["train/x"][:, 0], d["train/y"]
    fractions = [(y == c).mean() for c in range(4)]
    check(set(np.unique(y)) == {0, 1, 2, 3} and min(fractions) > 0.01, f"shapes2d: all four classes present {np.round(fractions, 3)}")
    fg, bg = x[y > 0].mean(), x[y == 0].mean()
    check(fg - bg > 0.4, f"shapes2d: shapes are brighter than the background ({fg:.2f} vs {bg:.2f})")
    check(list(d["attrs"]["class_names"]) == ["background", "disc", "square", "triangle"], "shapes2d: class names")
    # A shape drawn alone, away from the borders, fills pi/4 (disc), 1 (square), 1/2 (triangle)
    # of its bounding box (pixelized: the triangle ~0.64): images with one shape tell the labels apart.
    fills = {1: [], 2: [], 3: []}
    for img in y:
        classes = set(np.unique(img)) - {0}
        if len(classes) != 1:
            continue
        c = classes.pop()
        rows, cols = np.nonzero(img == c)
        if rows.min() == 0 or cols.min() == 0 or rows.max() == img.shape[0] - 1 or cols.max() == img.shape[1] - 1:
            continue
        fills[c].append(len(rows) / ((rows.ptp() + 1) * (cols.ptp() + 1)))
    med = {c: float(np.median(v)) if v else float("nan") for c, v in fills.items()}
    check(0.72 < med[1] < 0.88 and med[2] > 0.9 and 0.4 < med[3] < 0.7,
          f"shapes2d: disc, square, triangle fill {med[1]:.2f}, {med[2]:.2f}, {med[3]:.2f} of their boxes")


def test_signal1d(tmp):
    d = common(tmp, "signal1d.py", ["--n-train", "800", "--n-test", "200", "--length", "128"], (800, 2, 128),
               (800,), np.float32, np.uint8)
    y = d["train/y"]
    check(np.bincount(y, minlength=4).tolist() == [200] * 4, "signal1d: balanced classes")

    def features(x):  # the spectrum of channel 0: shift-invariant
        return np.log1p(np.abs(np.fft.rfft(x[:, 0], axis=1)))

    ftr, fte = features(d["train/x"]), features(d["test/x"])
    centroids = np.stack([ftr[y == c].mean(0) for c in range(4)])
    pred = np.argmin(((fte[:, None, :] - centroids[None]) ** 2).sum(-1), axis=1)
    acc = (pred == d["test/y"]).mean()
    check(acc > 0.5, f"signal1d: a nearest-centroid classifier on spectra beats chance 0.25 clearly ({acc:.3f})")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_cosmo3d(tmp)
        test_shapes2d(tmp)
        test_signal1d(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
