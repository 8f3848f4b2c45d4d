#include "kernels/resample.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>

namespace dpt::kern {

namespace {
template <class F>
void planes(int64_t n, int64_t plane_size, F&& f) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(plane_size, 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t p = r.begin(); p < r.end(); ++p) f(p);
  });
}

// One plane: each output row (d, h) is a source row with every element repeated k2 times.
template <class T>
void upsample_plane(const UpsampleGeom& g, const T* x, T* y) {
  const int64_t OH = g.in[1] * g.k[1], OW = g.in[2] * g.k[2], k2 = g.k[2];
  for (int64_t od = 0; od < g.in[0] * g.k[0]; ++od)
    for (int64_t oh = 0; oh < OH; ++oh) {
      const T* src = x + ((od / g.k[0]) * g.in[1] + oh / g.k[1]) * g.in[2];
      T* dst = y + (od * OH + oh) * OW;
      for (int64_t w = 0; w < g.in[2]; ++w) std::fill(dst + w * k2, dst + (w + 1) * k2, src[w]);
    }
}

template <class T>
void upsample_plane_backward(const UpsampleGeom& g, const T* dy, T* dx) {
  const int64_t OH = g.in[1] * g.k[1], OW = g.in[2] * g.k[2];
  for (int64_t d = 0; d < g.in[0]; ++d)
    for (int64_t h = 0; h < g.in[1]; ++h)
      for (int64_t w = 0; w < g.in[2]; ++w) {
        T sum = 0;
        for (int64_t i = 0; i < g.k[0]; ++i)
          for (int64_t j = 0; j < g.k[1]; ++j) {
            const T* row = dy + ((d * g.k[0] + i) * OH + h * g.k[1] + j) * OW + w * g.k[2];
            for (int64_t l = 0; l < g.k[2]; ++l) sum += row[l];
          }
        dx[(d * g.in[1] + h) * g.in[2] + w] = sum;
      }
}

// One plane of the shifted window: per output row, the in-range part is one copy, the rest zeros.
template <class T>
void shift_plane(const ShiftGeom& g, const T* x, T* y) {
  const int64_t OW = g.out[2];
  const int64_t w0 = std::clamp<int64_t>(-g.shift[2], 0, OW), w1 = std::clamp<int64_t>(g.in[2] - g.shift[2], w0, OW);
  for (int64_t d = 0; d < g.out[0]; ++d)
    for (int64_t h = 0; h < g.out[1]; ++h) {
      T* dst = y + (d * g.out[1] + h) * OW;
      const int64_t sd = d + g.shift[0], sh = h + g.shift[1];
      if (sd < 0 || sd >= g.in[0] || sh < 0 || sh >= g.in[1]) {
        std::fill(dst, dst + OW, T(0));
        continue;
      }
      const T* src = x + (sd * g.in[1] + sh) * g.in[2] + g.shift[2];
      std::fill(dst, dst + w0, T(0));
      std::copy(src + w0, src + w1, dst + w0);
      std::fill(dst + w1, dst + OW, T(0));
    }
}
}  // namespace

template <class T>
void upsample_nearest_forward(const UpsampleGeom& g, const T* x, T* y) {
  const int64_t in = g.in_size(), out = g.out_size();
  planes(g.planes, out, [&](int64_t p) { upsample_plane(g, x + p * in, y + p * out); });
}

template <class T>
void upsample_nearest_backward(const UpsampleGeom& g, const T* dy, T* dx) {
  const int64_t in = g.in_size(), out = g.out_size();
  planes(g.planes, out, [&](int64_t p) { upsample_plane_backward(g, dy + p * out, dx + p * in); });
}

template <class T>
void shift_copy(const ShiftGeom& g, const T* x, T* y) {
  const int64_t in = g.in_size(), out = g.out_size();
  planes(g.planes, out, [&](int64_t p) { shift_plane(g, x + p * in, y + p * out); });
}

namespace ref {
template <class T>
void upsample_nearest_forward(const UpsampleGeom& g, const T* x, T* y) {
  const int64_t OD = g.in[0] * g.k[0], OH = g.in[1] * g.k[1], OW = g.in[2] * g.k[2];
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t d = 0; d < OD; ++d)
      for (int64_t h = 0; h < OH; ++h)
        for (int64_t w = 0; w < OW; ++w)
          y[((p * OD + d) * OH + h) * OW + w] =
              x[((p * g.in[0] + d / g.k[0]) * g.in[1] + h / g.k[1]) * g.in[2] + w / g.k[2]];
}
// dx = 0, then every output position in order adds its dy to its source
template <class T>
void upsample_nearest_backward(const UpsampleGeom& g, const T* dy, T* dx) {
  const int64_t OD = g.in[0] * g.k[0], OH = g.in[1] * g.k[1], OW = g.in[2] * g.k[2];
  std::fill(dx, dx + g.planes * g.in_size(), T(0));
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t d = 0; d < OD; ++d)
      for (int64_t h = 0; h < OH; ++h)
        for (int64_t w = 0; w < OW; ++w)
          dx[((p * g.in[0] + d / g.k[0]) * g.in[1] + h / g.k[1]) * g.in[2] + w / g.k[2]] +=
              dy[((p * OD + d) * OH + h) * OW + w];
}
template <class T>
void shift_copy(const ShiftGeom& g, const T* x, T* y) {
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t d = 0; d < g.out[0]; ++d)
      for (int64_t h = 0; h < g.out[1]; ++h)
        for (int64_t w = 0; w < g.out[2]; ++w) {
          const int64_t sd = d + g.shift[0], sh = h + g.shift[1], sw = w + g.shift[2];
          const bool inside = sd >= 0 && sd < g.in[0] && sh >= 0 && sh < g.in[1] && sw >= 0 && sw < g.in[2];
          y[((p * g.out[0] + d) * g.out[1] + h) * g.out[2] + w] =
              inside ? x[((p * g.in[0] + sd) * g.in[1] + sh) * g.in[2] + sw] : T(0);
        }
}
}  // namespace ref

#define DPT_RESAMPLE(NS, T)                                                          \
  template void NS::upsample_nearest_forward<T>(const UpsampleGeom&, const T*, T*);  \
  template void NS::upsample_nearest_backward<T>(const UpsampleGeom&, const T*, T*); \
  template void NS::shift_copy<T>(const ShiftGeom&, const T*, T*);
}  // namespace dpt::kern
DPT_RESAMPLE(dpt::kern, float)
DPT_RESAMPLE(dpt::kern, double)
DPT_RESAMPLE(dpt::kern::ref, float)
DPT_RESAMPLE(dpt::kern::ref, double)
#undef DPT_RESAMPLE
