// Winograd F(2x2, 3x3) convolution (Lavin and Gray 2016, "Fast Algorithms for Convolutional Neural
// Networks"): 3x3 kernels, stride 1, dilation 1, one channel group, any zero padding.
// Each 2x2 block of outputs (a "tile") is A^T [sum_c U_kc (.) V_ct] A, with
//   U_kc = G w_kc G^T      (4x4 per output channel k and input channel c)
//   V_ct = B^T d_ct B      (4x4 per input channel c and tile t; d: the tile's 4x4 input window)
// and the sum over c is 16 GEMMs, one per position xi of the 4x4:
//   M_xi (K, T) = U_xi (K, C) V_xi (C, T)         T: the tiles of a block of samples
// 16 multiply-adds per 4 outputs instead of the direct 36 (2.25x fewer), no im2col.
// Backward is the exact adjoint of the forward (what a gradient check expects):
//   dM_t = A dY_t A^T (dY_t: the tile's 2x2 of dy, 0 outside the output)
//   dU_xi (K, C) += dM_xi V_xi^T   ->  dW += G^T dU G
//   dV_xi (C, T)  = U_xi^T dM_xi   ->  dx  = the sum of B dV_t B^T over the (overlapping) tiles
// The batch is walked in blocks of block() samples (fixed by the geometry, never by threads);
// transforms are TBB-parallel over (sample, channel) planes, each plane owned by one task, and the
// GEMMs of a block run in xi order, so results do not depend on TBB's thread count (nor on
// OpenBLAS's where it runs one thread, as under train.deterministic).
// Rounding differs from the direct sum's (the transforms add and subtract inputs first; the
// tests bound the difference by 2e-6 x 9 C for inputs in [-1, 1]); ref:: is the direct convolution.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct WinogradGeom {
  int64_t C, H, W;  // input (C, H, W)
  int64_t K;        // output channels
  int64_t pad;      // zero padding on each side
  int64_t OH() const { return H + 2 * pad - 2; }
  int64_t OW() const { return W + 2 * pad - 2; }
  int64_t TH() const { return (OH() + 1) / 2; }  // tile rows
  int64_t TW() const { return (OW() + 1) / 2; }  // tile columns
  int64_t tiles() const { return TH() * TW(); }  // per sample
  int64_t block() const;                         // samples per block: about kBlockTiles tiles
};

// Whether a convolution can run as F(2x2, 3x3).
bool winograd_fits(int64_t KH, int64_t KW, int64_t stride, int64_t dilation, int64_t groups);

// y (B, K, OH, OW) = conv(x (B, C, H, W), w (K, C, 3, 3)) (no bias).
template <class T>
void winograd_forward(const WinogradGeom& g, int64_t B, const T* x, const T* w, T* y);
// dw (K, C, 3, 3) += the weight gradient; dx (B, C, H, W) = the input gradient (skipped when null).
template <class T>
void winograd_backward(const WinogradGeom& g, int64_t B, const T* x, const T* w, const T* dy, T* dx, T* dw);

namespace ref {
// The direct convolution (plain loops, double sums), for the tests.
template <class T>
void conv3x3_forward(const WinogradGeom& g, int64_t B, const T* x, const T* w, T* y);
template <class T>
void conv3x3_backward(const WinogradGeom& g, int64_t B, const T* x, const T* w, const T* dy, T* dx, T* dw);
}  // namespace ref

}  // namespace dpt::kern
