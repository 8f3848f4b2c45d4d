#include "kernels/depthwise.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>

namespace dpt::kern {

namespace {
// Outputs [lo, hi) of one axis whose input o*S + off lies in [0, n): the tap's valid range.
inline void valid(int64_t off, int64_t S, int64_t n, int64_t n_out, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + S - 1) / S;
  hi = n - 1 - off < 0 ? 0 : (n - 1 - off) / S + 1;
  hi = std::min(hi, n_out), lo = std::min(lo, hi);
}

// One tap (i, j) of the geometry: its input offsets and the output rectangle it reaches.
struct Tap {
  int64_t dy, dx, oy0, oy1, ox0, ox1;
};
inline Tap tap(const ConvGeom& g, int64_t i, int64_t j) {
  Tap t{i * g.dil - g.pad, j * g.dil - g.pad, 0, 0, 0, 0};
  valid(t.dy, g.stride, g.H, g.OH(), t.oy0, t.oy1);
  valid(t.dx, g.stride, g.W, g.OW(), t.ox0, t.ox1);
  return t;
}

template <class F>
void parallel(int64_t n, int64_t grain, F&& f) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t k = r.begin(); k < r.end(); ++k) f(k);
  });
}

// Planes per task: about 4096 output values each.
int64_t plane_grain(const ConvGeom& g) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(g.OH() * g.OW(), 1)); }

// y plane (OH, OW) = 0, then every tap in (i, j) order adds w * x over its valid rectangle.
template <class T>
void forward_plane(const ConvGeom& g, const T* x, const T* w, T* y) {
  const int64_t OW = g.OW(), S = g.stride;
  std::fill(y, y + g.OH() * OW, T(0));
  for (int64_t i = 0; i < g.KH; ++i)
    for (int64_t j = 0; j < g.KW; ++j) {
      const Tap t = tap(g, i, j);
      const T wv = w[i * g.KW + j];
      for (int64_t oy = t.oy0; oy < t.oy1; ++oy) {
        T* yr = y + oy * OW;
        const T* xr = x + (oy * S + t.dy) * g.W + t.dx;
        if (S == 1)
          for (int64_t ox = t.ox0; ox < t.ox1; ++ox) yr[ox] += wv * xr[ox];
        else
          for (int64_t ox = t.ox0; ox < t.ox1; ++ox) yr[ox] += wv * xr[ox * S];
      }
    }
}

// dx plane (H, W) = 0, then every tap in (i, j) order scatters w * dy back to the pixels it read.
template <class T>
void backward_data_plane(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const int64_t OW = g.OW(), S = g.stride;
  std::fill(dx, dx + g.H * g.W, T(0));
  for (int64_t i = 0; i < g.KH; ++i)
    for (int64_t j = 0; j < g.KW; ++j) {
      const Tap t = tap(g, i, j);
      const T wv = w[i * g.KW + j];
      for (int64_t oy = t.oy0; oy < t.oy1; ++oy) {
        const T* dr = dy + oy * OW;
        T* xr = dx + (oy * S + t.dy) * g.W + t.dx;
        if (S == 1)
          for (int64_t ox = t.ox0; ox < t.ox1; ++ox) xr[ox] += wv * dr[ox];
        else
          for (int64_t ox = t.ox0; ox < t.ox1; ++ox) xr[ox * S] += wv * dr[ox];
      }
    }
}

// Columns [c0, c0 + n) of the tap's rectangle, n <= kCols: acc[k] += dy * x at column c0 + k over the
// rectangle's rows of one plane (elementwise, so the compiler vectorizes it).
constexpr int64_t kCols = 64;
template <class T>
void tap_columns_acc(const ConvGeom& g, const Tap& t, const T* x, const T* dy, int64_t c0, int64_t n, T* acc) {
  const int64_t OW = g.OW(), S = g.stride;
  for (int64_t oy = t.oy0; oy < t.oy1; ++oy) {
    const T* dr = dy + oy * OW + c0;
    const T* xr = x + (oy * S + t.dy) * g.W + t.dx + c0 * S;
    if (S == 1)
      for (int64_t k = 0; k < n; ++k) acc[k] += dr[k] * xr[k];
    else
      for (int64_t k = 0; k < n; ++k) acc[k] += dr[k] * xr[k * S];
  }
}
}  // namespace

template <class T>
void depthwise_forward(const ConvGeom& g, const T* x, const T* w, T* y) {
  const int64_t HW = g.H * g.W, P = g.OH() * g.OW(), K = g.KH * g.KW;
  parallel(g.B * g.C, plane_grain(g), [&](int64_t p) { forward_plane(g, x + p * HW, w + (p % g.C) * K, y + p * P); });
}

template <class T>
void depthwise_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const int64_t HW = g.H * g.W, P = g.OH() * g.OW(), K = g.KH * g.KW;
  parallel(g.B * g.C, plane_grain(g),
           [&](int64_t p) { backward_data_plane(g, dy + p * P, w + (p % g.C) * K, dx + p * HW); });
}

// Per channel (in parallel) and tap: column sums of dy * x over the samples' rows (samples and rows
// in order), in blocks of kCols columns; then dw += the column sums added in column order.
template <class T>
void depthwise_backward_weight_acc(const ConvGeom& g, const T* x, const T* dy, T* dw) {
  const int64_t HW = g.H * g.W, P = g.OH() * g.OW();
  parallel(g.C, 1, [&](int64_t c) {
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        const Tap t = tap(g, i, j);
        T sum = 0;
        for (int64_t c0 = t.ox0; c0 < t.ox1; c0 += kCols) {
          const int64_t n = std::min(kCols, t.ox1 - c0);
          T acc[kCols] = {};
          for (int64_t b = 0; b < g.B; ++b)
            tap_columns_acc(g, t, x + (b * g.C + c) * HW, dy + (b * g.C + c) * P, c0, n, acc);
          for (int64_t k = 0; k < n; ++k) sum += acc[k];
        }
        dw[(c * g.KH + i) * g.KW + j] += sum;
      }
  });
}

namespace ref {
// The index in x (B, C, H, W) that tap (i, j) of output (b, c, oy, ox) reads, or -1 outside the image.
inline int64_t at(const ConvGeom& g, int64_t b, int64_t c, int64_t oy, int64_t ox, int64_t i, int64_t j) {
  const int64_t yy = oy * g.stride - g.pad + i * g.dil, xx = ox * g.stride - g.pad + j * g.dil;
  return yy >= 0 && yy < g.H && xx >= 0 && xx < g.W ? ((b * g.C + c) * g.H + yy) * g.W + xx : -1;
}

template <class T>
void depthwise_forward(const ConvGeom& g, const T* x, const T* w, T* y) {
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          T acc = 0;
          for (int64_t i = 0; i < g.KH; ++i)
            for (int64_t j = 0; j < g.KW; ++j)
              if (const int64_t k = at(g, b, c, oy, ox, i, j); k >= 0) acc += w[(c * g.KH + i) * g.KW + j] * x[k];
          y[((b * g.C + c) * OH + oy) * OW + ox] = acc;
        }
}

template <class T>
void depthwise_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const int64_t OH = g.OH(), OW = g.OW();
  std::fill(dx, dx + g.B * g.C * g.H * g.W, T(0));
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t i = 0; i < g.KH; ++i)
        for (int64_t j = 0; j < g.KW; ++j)
          for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox)
              if (const int64_t k = at(g, b, c, oy, ox, i, j); k >= 0)
                dx[k] += w[(c * g.KH + i) * g.KW + j] * dy[((b * g.C + c) * OH + oy) * OW + ox];
}

template <class T>
void depthwise_backward_weight_acc(const ConvGeom& g, const T* x, const T* dy, T* dw) {
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        T acc = 0;
        for (int64_t b = 0; b < g.B; ++b) {
          T plane = 0;
          for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox)
              if (const int64_t k = at(g, b, c, oy, ox, i, j); k >= 0)
                plane += dy[((b * g.C + c) * OH + oy) * OW + ox] * x[k];
          acc += plane;
        }
        dw[(c * g.KH + i) * g.KW + j] += acc;
      }
}
}  // namespace ref

#define DPT_DEPTHWISE(NS, T)                                                             \
  template void NS::depthwise_forward<T>(const ConvGeom&, const T*, const T*, T*);       \
  template void NS::depthwise_backward_data<T>(const ConvGeom&, const T*, const T*, T*); \
  template void NS::depthwise_backward_weight_acc<T>(const ConvGeom&, const T*, const T*, T*);
}  // namespace dpt::kern
DPT_DEPTHWISE(dpt::kern, float)
DPT_DEPTHWISE(dpt::kern, double)
DPT_DEPTHWISE(dpt::kern::ref, float)
DPT_DEPTHWISE(dpt::kern::ref, double)
#undef DPT_DEPTHWISE
