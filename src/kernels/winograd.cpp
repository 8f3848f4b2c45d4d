#include "kernels/winograd.hpp"

#include <algorithm>
#include <vector>

#include "kernels/for_range.hpp"
#include "kernels/gemm.hpp"
#include "kernels/scratch.hpp"
#include "kernels/winograd_tiles.hpp"

namespace dpt::kern {

namespace {
// Tiles per block: V_xi (C, T) and M_xi (K, T) of all 16 xi then hold about 16 x 8192 floats
// (512 KB) each, so a block's transforms and GEMMs stay in the L2 cache (unless one sample's tiles
// alone are more: a block is at least one sample). 2048 and 32768 ran the ResNet at the same speed.
constexpr int64_t kBlockFloats = 8192;

// Each (sample, channel) plane of samples [0, nb) through f(plane scratch, sample, channel), one
// task per plane.
template <class T, class F>
void planes(const WinogradGeom& g, int64_t nb, int64_t channels, F&& f) {
  const auto n = static_cast<size_t>(wino::plane_scratch(g));
  for_range(nb * channels, 1, [&](int64_t begin, int64_t end) {
    T* s = caller_scratch<T, 5>(n);
    for (int64_t i = begin; i < end; ++i) f(s, i / channels, i % channels);
  });
}

// V (16, C, nb tiles()) = the input tiles of samples [b0, b0 + nb) of x.
template <class T>
void input_block(const WinogradGeom& g, const T* x, int64_t b0, int64_t nb, T* V) {
  const int64_t nt = g.tiles(), Tb = nb * nt, plane = g.H * g.W;
  planes<T>(g, nb, g.C, [&](T* s, int64_t b, int64_t c) {
    wino::input_tiles(g, x + ((b0 + b) * g.C + c) * plane, V + c * Tb + b * nt, g.C * Tb, s);
  });
}
}  // namespace

int64_t WinogradGeom::block() const { return std::max<int64_t>(1, kBlockFloats / std::max(C, K) / tiles()); }

bool winograd_fits(int64_t KH, int64_t KW, int64_t stride, int64_t dilation, int64_t groups) {
  return KH == 3 && KW == 3 && stride == 1 && dilation == 1 && groups == 1;
}

// Per block of nb samples (T = nb tiles() tiles): V = input tiles, M_xi = U_xi V_xi, y = output tiles.
template <class T>
void winograd_forward(const WinogradGeom& g, int64_t B, const T* x, const T* w, T* y) {
  if (B == 0) return;
  const int64_t C = g.C, K = g.K, nt = g.tiles(), out = K * g.OH() * g.OW();
  const int64_t T_max = std::min(g.block(), B) * nt;
  T* U = caller_scratch<T, 1>(static_cast<size_t>(16 * K * C));
  T* V = caller_scratch<T, 2>(static_cast<size_t>(16 * C * T_max));
  T* M = caller_scratch<T, 3>(static_cast<size_t>(16 * K * T_max));
  wino::weight_tiles(g, w, U);
  for (int64_t b0 = 0; b0 < B; b0 += g.block()) {
    const int64_t nb = std::min(g.block(), B - b0), Tb = nb * nt;
    input_block(g, x, b0, nb, V);
    for (int64_t xi = 0; xi < 16; ++xi)
      gemm<T>(false, false, K, Tb, C, T(1), U + xi * K * C, V + xi * C * Tb, T(0), M + xi * K * Tb);
    planes<T>(g, nb, K, [&](T* s, int64_t b, int64_t k) {
      wino::output_tiles(g, M + k * Tb + b * nt, K * Tb, y + (b0 + b) * out + k * g.OH() * g.OW(), s);
    });
  }
}

// Per block: V = input tiles, dM = output adjoint tiles of dy; per xi: dU_xi (+)= dM_xi V_xi^T,
// then dV_xi = U_xi^T dM_xi written over V_xi (no longer needed); dx = input adjoint of dV.
// dU sums the blocks in order; dw += G^T dU G at the end.
template <class T>
void winograd_backward(const WinogradGeom& g, int64_t B, const T* x, const T* w, const T* dy, T* dx, T* dw) {
  if (B == 0) return;
  const int64_t C = g.C, K = g.K, nt = g.tiles(), in = C * g.H * g.W, out = K * g.OH() * g.OW();
  const int64_t T_max = std::min(g.block(), B) * nt;
  T* U = caller_scratch<T, 1>(static_cast<size_t>(16 * K * C));
  T* V = caller_scratch<T, 2>(static_cast<size_t>(16 * C * T_max));
  T* dM = caller_scratch<T, 3>(static_cast<size_t>(16 * K * T_max));
  T* dU = caller_scratch<T, 4>(static_cast<size_t>(16 * K * C));
  wino::weight_tiles(g, w, U);
  for (int64_t b0 = 0; b0 < B; b0 += g.block()) {
    const int64_t nb = std::min(g.block(), B - b0), Tb = nb * nt;
    input_block(g, x, b0, nb, V);
    planes<T>(g, nb, K, [&](T* s, int64_t b, int64_t k) {
      wino::output_tiles_adjoint(g, dy + (b0 + b) * out + k * g.OH() * g.OW(), dM + k * Tb + b * nt, K * Tb, s);
    });
    for (int64_t xi = 0; xi < 16; ++xi) {
      gemm<T>(false, true, K, C, Tb, T(1), dM + xi * K * Tb, V + xi * C * Tb, b0 == 0 ? T(0) : T(1), dU + xi * K * C);
      if (dx) gemm<T>(true, false, C, Tb, K, T(1), U + xi * K * C, dM + xi * K * Tb, T(0), V + xi * C * Tb);
    }
    if (!dx) continue;
    planes<T>(g, nb, C, [&](T* s, int64_t b, int64_t c) {
      wino::input_tiles_adjoint(g, V + c * Tb + b * nt, C * Tb, dx + (b0 + b) * in + c * g.H * g.W, s);
    });
  }
  wino::weight_tiles_adjoint_acc(g, dU, dw);
}

namespace ref {
template <class T>
void conv3x3_forward(const WinogradGeom& g, int64_t B, const T* x, const T* w, T* y) {
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < g.K; ++k)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double s = 0;
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t h = oy + i - g.pad, v = ox + j - g.pad;
                if (h >= 0 && h < g.H && v >= 0 && v < g.W)
                  s += static_cast<double>(w[((k * g.C + c) * 3 + i) * 3 + j]) * x[((b * g.C + c) * g.H + h) * g.W + v];
              }
          y[((b * g.K + k) * OH + oy) * OW + ox] = static_cast<T>(s);
        }
}

template <class T>
void conv3x3_backward(const WinogradGeom& g, int64_t B, const T* x, const T* w, const T* dy, T* dx, T* dw) {
  const int64_t OH = g.OH(), OW = g.OW(), n_in = B * g.C * g.H * g.W;
  std::vector<double> gx(static_cast<size_t>(n_in), 0.0), gw(static_cast<size_t>(g.K * g.C * 9), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < g.K; ++k)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          const double d = dy[((b * g.K + k) * OH + oy) * OW + ox];
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                const int64_t h = oy + i - g.pad, v = ox + j - g.pad;
                if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                const int64_t xi = ((b * g.C + c) * g.H + h) * g.W + v, wi = ((k * g.C + c) * 3 + i) * 3 + j;
                gw[static_cast<size_t>(wi)] += d * x[xi];
                gx[static_cast<size_t>(xi)] += d * w[wi];
              }
        }
  for (size_t i = 0; i < gw.size(); ++i) dw[i] += static_cast<T>(gw[i]);
  if (dx)
    for (size_t i = 0; i < gx.size(); ++i) dx[i] = static_cast<T>(gx[i]);
}
}  // namespace ref

#define DPT_WINO(T)                                                                                       \
  template void winograd_forward<T>(const WinogradGeom&, int64_t, const T*, const T*, T*);                \
  template void winograd_backward<T>(const WinogradGeom&, int64_t, const T*, const T*, const T*, T*, T*); \
  template void ref::conv3x3_forward<T>(const WinogradGeom&, int64_t, const T*, const T*, T*);            \
  template void ref::conv3x3_backward<T>(const WinogradGeom&, int64_t, const T*, const T*, const T*, T*, T*);
DPT_WINO(float)
DPT_WINO(double)
#undef DPT_WINO

}  // namespace dpt::kern
