// Internal to kernels/winograd: the F(2x2, 3x3) transforms of one (sample, channel) plane and of
// the weights (kernels/winograd.hpp has the algorithm). A plane's 16 transformed values of tile t
// are at P[xi * xs + t] (xi = 4 i + j, t = ty * TW + tx); the loops run over tile columns tx with
// unit stride (the padded input's even and odd columns are kept apart for that), so they vectorize.
// Every sum is in a fixed order: results depend only on the inputs.
#pragma once
#include <cstdint>

#include "kernels/winograd.hpp"

namespace dpt::kern::wino {

// Scratch elements one plane transform needs.
int64_t plane_scratch(const WinogradGeom& g);

// V tiles of the plane x (H, W), zero padded: B^T d B.
template <class T>
void input_tiles(const WinogradGeom& g, const T* x, T* V, int64_t xs, T* scratch);
// dx (H, W) = the sum over tiles of B dV B^T, inside the image (overwrites dx).
template <class T>
void input_tiles_adjoint(const WinogradGeom& g, const T* dV, int64_t xs, T* dx, T* scratch);
// y (OH, OW) = A^T M A of every tile, inside the output (overwrites y).
template <class T>
void output_tiles(const WinogradGeom& g, const T* M, int64_t xs, T* y, T* scratch);
// dM tiles = A dY A^T of the plane dy (OH, OW) (0 outside it).
template <class T>
void output_tiles_adjoint(const WinogradGeom& g, const T* dy, T* dM, int64_t xs, T* scratch);

// U (16, K, C) = G w G^T of w (K, C, 3, 3).
template <class T>
void weight_tiles(const WinogradGeom& g, const T* w, T* U);
// dw (K, C, 3, 3) += G^T dU G of dU (16, K, C).
template <class T>
void weight_tiles_adjoint_acc(const WinogradGeom& g, const T* dU, T* dw);

}  // namespace dpt::kern::wino
