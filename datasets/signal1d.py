#!/usr/bin/env python3
"""datasets/signal1d.py [--out data/signal1d.h5] [--n-train 8192] [--n-test 1024] [--length 256] [--seed 1]

A 1-D signal classification task: two-channel sensor traces of four kinds of events in noise.

Each sample (2, L) float32: channel 0 holds an event, channel 1 the same event delayed by 0-15
samples and scaled by 0.5-1 (a second sensor further away), both with Gaussian noise (sd 0.5) and
a random baseline drift. The event, placed at a random time in a window of random length L/8 to
L/2, is one of four classes:
    0 sine burst (one frequency in 4-20 cycles per L), 1 chirp (frequency rising 2 -> 24 cycles
    per L over the window), 2 square burst (4-20 cycles per L), each under a Hann envelope;
    3 two spikes of height 3 (1-3 samples wide, 10-40 samples apart, both inside the window).
Labels /train/y, /test/y: (N,) uint8, balanced. Chance is 0.25.
"""
import numpy as np

from dataset_h5 import generate, parse_args

CLASSES = ["sine", "chirp", "square", "spikes"]


def event(kind, L, rng):
    w = int(rng.integers(L // 8, L // 2 + 1))
    t = np.arange(w) / L
    if kind == 0:
        s = np.sin(2 * np.pi * rng.uniform(4, 20) * t + rng.uniform(0, 2 * np.pi))
    elif kind == 1:
        f0, f1 = 2.0, 24.0
        s = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t * L / (2 * w)))
    elif kind == 2:
        s = np.sign(np.sin(2 * np.pi * rng.uniform(4, 20) * t + rng.uniform(0, 2 * np.pi)))
    else:
        s = np.zeros(w)  # w >= L/8 >= 16: the gap fits
        gap = int(rng.integers(10, min(40, w - 4) + 1))
        a = int(rng.integers(0, w - gap - 3 + 1))
        for at in (a, a + gap):
            s[at:at + int(rng.integers(1, 4))] = 3.0
    return s * (np.hanning(w) if kind != 3 else 1.0) * rng.uniform(1.0, 2.0)


def make(n, L, rng):
    x = np.empty((n, 2, L), np.float32)
    y = np.arange(n, dtype=np.int64) % 4
    rng.shuffle(y)
    tt = np.arange(L) / L
    for i in range(n):
        e = event(int(y[i]), L, rng)
        start = int(rng.integers(0, L - len(e) - 15 + 1))
        delay, gain = int(rng.integers(0, 16)), rng.uniform(0.5, 1.0)
        for c, (d, g) in enumerate(((0, 1.0), (delay, gain))):
            sig = np.zeros(L)
            sig[start + d:start + d + len(e)] = g * e
            drift = rng.uniform(-0.5, 0.5) * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * tt + rng.uniform(0, 6.3))
            x[i, c] = sig + drift + rng.normal(0, 0.5, L)
    return x, y.astype(np.uint8)


def main():
    a, size = parse_args(__doc__, "signal1d", 8192, 1024, "--length", 256, 128, "samples per trace L")
    generate(a, size, make, "signal1d.py", {}, {"class_names": CLASSES, "task": "classification (N,) of 4"},
             layout="NCL")


if __name__ == "__main__":
    main()
