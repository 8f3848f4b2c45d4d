#!/usr/bin/env python3
"""datasets/cosmo3d.py [--out data/cosmo3d.h5] [--n-train 2048] [--n-test 256] [--size 32] [--seed 1]

CosmoFlow in miniature: 3-D Gaussian random fields whose power spectrum depends on two
parameters, and the task of regressing both from a field.

Each sample is a (1, D, D, D) float32 volume on a periodic grid. Its Fourier modes are complex
Gaussian white noise times sqrt(P(k)), with
    P(k) = amplitude^2 * (k / k_pivot)^(-slope) * exp(-(k / k_cut)^2),   k in cycles per box,
k_pivot = D/8 and k_cut = D/3 (a smooth cutoff below Nyquist); the k = 0 mode is zero (mean-free
fields). amplitude ~ U[0.5, 1.5] and slope ~ U[1.0, 3.0] per sample, independently. The field is
real: the noise is drawn in real space and transformed (numpy.fft.rfftn), so Hermitian symmetry
holds exactly. The overall scale is normalized so that amplitude 1, slope 2 gives unit variance.

Targets /train/y, /test/y: (N, 2) float32, the two parameters mapped linearly to [-1, 1]
(attributes param_names, param_low, param_high give the inverse map). Predicting the mean gives
R^2 = 0 for each; the field's power spectrum determines both, so a 3-D CNN can reach R^2 near 1.
"""
import numpy as np

from dataset_h5 import generate, parse_args

LOW = np.array([0.5, 1.0])
HIGH = np.array([1.5, 3.0])
NAMES = ["amplitude", "slope"]


def radial_k(D):
    k = np.fft.fftfreq(D) * D  # cycles per box
    kz = np.fft.rfftfreq(D) * D
    return np.sqrt(k[:, None, None] ** 2 + k[None, :, None] ** 2 + kz[None, None, :] ** 2)


def spectrum(k, amplitude, slope, D):
    kk = np.where(k > 0, k, 1.0)
    p = amplitude**2 * (kk / (D / 8.0)) ** (-slope) * np.exp(-((kk / (D / 3.0)) ** 2))
    return np.where(k > 0, p, 0.0)


def fields(n, D, rng):
    params = LOW + (HIGH - LOW) * rng.random((n, 2))
    k = radial_k(D)
    # Var(field) = mean over the full k grid of P(k) (unit-variance real noise has E|N_k|^2 = D^3):
    # scale makes amplitude 1, slope 2 unit variance.
    f = np.fft.fftfreq(D) * D
    k_full = np.sqrt(f[:, None, None] ** 2 + f[None, :, None] ** 2 + f[None, None, :] ** 2)
    scale = 1.0 / np.sqrt(spectrum(k_full, 1.0, 2.0, D).mean())
    x = np.empty((n, 1, D, D, D), np.float32)
    for i in range(n):
        noise = np.fft.rfftn(rng.standard_normal((D, D, D)))
        x[i, 0] = scale * np.fft.irfftn(np.sqrt(spectrum(k, params[i, 0], params[i, 1], D)) * noise, s=(D, D, D))
    y = (2 * (params - LOW) / (HIGH - LOW) - 1).astype(np.float32)
    return x, y


def main():
    a, size = parse_args(__doc__, "cosmo3d", 2048, 256, "--size", 32, 8, "grid points per side (D)")
    generate(a, size, fields, "cosmo3d.py", {"k_pivot": size / 8, "k_cut": size / 3},
             {"param_names": NAMES, "param_low": LOW, "param_high": HIGH, "task": "regression (N, 2)"},
             layout="NCDHW")


if __name__ == "__main__":
    main()
