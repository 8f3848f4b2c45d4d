#!/usr/bin/env python3
"""datasets/shapes2d.py [--out data/shapes2d.h5] [--n-train 4096] [--n-test 512] [--size 64] [--seed 1]

A 2-D segmentation task: images of random shapes on noise, and their per-pixel class maps.

Each image (1, S, S) float32 holds 1 to 4 shapes, each a disc, an axis-aligned square or an
upward triangle (random size between S/8 and S/3, random position, fully or partly inside the
image), drawn in order so later shapes cover earlier ones. Pixel intensity: the background 0,
each shape its own random level in [0.5, 1.0]; then a smooth random background (a sum of 3 random
low-frequency cosines of amplitude 0.05 each) and Gaussian pixel noise (sd 0.15) are added.
Targets /train/y, /test/y: (N, S, S) uint8 class maps: 0 background, 1 disc, 2 square,
3 triangle (the class of the shape visible at the pixel). Telling the classes apart needs the
shapes' outlines, not only the intensity: a per-pixel threshold finds the foreground but not its
class.
"""
import numpy as np

from dataset_h5 import generate, parse_args

CLASSES = ["background", "disc", "square", "triangle"]


def draw(S, rng):
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float64)
    img = np.zeros((S, S))
    label = np.zeros((S, S), np.uint8)
    for _ in range(rng.integers(1, 5)):
        kind = int(rng.integers(1, 4))
        r = rng.uniform(S / 16, S / 6)  # half the size, in pixels
        cy, cx = rng.uniform(0, S, 2)
        if kind == 1:
            m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        elif kind == 2:
            m = (np.abs(yy - cy) <= r * 0.85) & (np.abs(xx - cx) <= r * 0.85)
        else:  # apex at the top, widening by 0.6 pixel per row down to the base
            top, base = cy - r, cy + r
            m = (yy >= top) & (yy <= base) & (np.abs(xx - cx) <= (yy - top) * 0.6)
        img[m] = rng.uniform(0.5, 1.0)
        label[m] = kind
    for _ in range(3):  # smooth background
        fy, fx = rng.uniform(0, 2.5, 2) * 2 * np.pi / S
        img += 0.05 * np.cos(fy * yy + fx * xx + rng.uniform(0, 2 * np.pi))
    img += rng.normal(0, 0.15, (S, S))
    return img.astype(np.float32), label


def make(n, S, rng):
    x = np.empty((n, 1, S, S), np.float32)
    y = np.empty((n, S, S), np.uint8)
    for i in range(n):
        x[i, 0], y[i] = draw(S, rng)
    return x, y


def main():
    a, size = parse_args(__doc__, "shapes2d", 4096, 512, "--size", 64, 16, "image side S in pixels")
    generate(a, size, make, "shapes2d.py", {}, {"class_names": CLASSES, "task": "segmentation (N, S, S) uint8"},
             layout="NCHW")


if __name__ == "__main__":
    main()
