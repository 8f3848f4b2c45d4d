#include "kernels/im2col.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>

namespace dpt::kern {

namespace {
// One sample b: fills its OH*OW columns of every col row.
template <class T>
void im2col_sample(const ConvGeom& g, const T* x, T* col, int64_t b) {
  const int64_t OH = g.OH(), OW = g.OW(), ncol = g.B * OH * OW;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        T* out = col + ((c * g.KH + i) * g.KW + j) * ncol + b * OH * OW;
        const T* img = x + (b * g.C + c) * g.H * g.W;
        for (int64_t oy = 0; oy < OH; ++oy) {
          const int64_t y = oy * g.stride - g.pad + i;
          T* row = out + oy * OW;
          if (y < 0 || y >= g.H) {
            std::fill(row, row + OW, T(0));
            continue;
          }
          const T* src = img + y * g.W;
          if (g.stride == 1) {  // contiguous run with zero borders (a plain loop: runs are short)
            const int64_t x0 = j - g.pad;
            const int64_t lo = std::clamp<int64_t>(-x0, 0, OW), hi = std::max(lo, std::clamp<int64_t>(g.W - x0, 0, OW));
            for (int64_t ox = 0; ox < lo; ++ox) row[ox] = T(0);
            const T* s = src + x0;
            for (int64_t ox = lo; ox < hi; ++ox) row[ox] = s[ox];
            for (int64_t ox = hi; ox < OW; ++ox) row[ox] = T(0);
          } else {
            for (int64_t ox = 0; ox < OW; ++ox) {
              const int64_t xx = ox * g.stride - g.pad + j;
              row[ox] = xx >= 0 && xx < g.W ? src[xx] : T(0);
            }
          }
        }
      }
}

template <class T>
void col2im_sample(const ConvGeom& g, const T* dcol, T* dx, int64_t b) {
  const int64_t OH = g.OH(), OW = g.OW(), ncol = g.B * OH * OW;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        const T* in = dcol + ((c * g.KH + i) * g.KW + j) * ncol + b * OH * OW;
        T* img = dx + (b * g.C + c) * g.H * g.W;
        for (int64_t oy = 0; oy < OH; ++oy) {
          const int64_t y = oy * g.stride - g.pad + i;
          if (y < 0 || y >= g.H) continue;
          if (g.stride == 1) {  // contiguous, vectorizable run
            const int64_t x0 = j - g.pad;
            const int64_t lo = std::clamp<int64_t>(-x0, 0, OW), hi = std::clamp<int64_t>(g.W - x0, 0, OW);
            T* d = img + y * g.W + x0;
            const T* s = in + oy * OW;
            for (int64_t ox = lo; ox < hi; ++ox) d[ox] += s[ox];
            continue;
          }
          for (int64_t ox = 0; ox < OW; ++ox) {
            const int64_t xx = ox * g.stride - g.pad + j;
            if (xx >= 0 && xx < g.W) img[y * g.W + xx] += in[oy * OW + ox];
          }
        }
      }
}

template <class F>
void per_sample(int64_t B, F&& f) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, B, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t b = r.begin(); b < r.end(); ++b) f(b);
  });
}
}  // namespace

template <class T>
void im2col(const ConvGeom& g, const T* x, T* col) {
  per_sample(g.B, [&](int64_t b) { im2col_sample(g, x, col, b); });
}

template <class T>
void col2im_acc(const ConvGeom& g, const T* dcol, T* dx) {
  per_sample(g.B, [&](int64_t b) { col2im_sample(g, dcol, dx, b); });  // samples own disjoint dx
}

template <class T>
void batch_to_channel_major(const T* a, T* b, int64_t B, int64_t N, int64_t M) {
  per_sample(B, [&](int64_t s) {
    for (int64_t n = 0; n < N; ++n) std::memcpy(b + (n * B + s) * M, a + (s * N + n) * M, static_cast<size_t>(M) * sizeof(T));
  });
}

template <class T>
void channel_to_batch_major(const T* a, T* b, int64_t B, int64_t N, int64_t M) {
  per_sample(B, [&](int64_t s) {
    for (int64_t n = 0; n < N; ++n) std::memcpy(b + (s * N + n) * M, a + (n * B + s) * M, static_cast<size_t>(M) * sizeof(T));
  });
}

namespace ref {
template <class T>
void im2col(const ConvGeom& g, const T* x, T* col) {
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j)
        for (int64_t b = 0; b < g.B; ++b)
          for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox) {
              const int64_t y = oy * g.stride - g.pad + i, xx = ox * g.stride - g.pad + j;
              const T v = (y >= 0 && y < g.H && xx >= 0 && xx < g.W) ? x[((b * g.C + c) * g.H + y) * g.W + xx] : T(0);
              col[((c * g.KH + i) * g.KW + j) * (g.B * OH * OW) + (b * OH + oy) * OW + ox] = v;
            }
}
template <class T>
void col2im_acc(const ConvGeom& g, const T* dcol, T* dx) {
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j)
        for (int64_t b = 0; b < g.B; ++b)
          for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox) {
              const int64_t y = oy * g.stride - g.pad + i, xx = ox * g.stride - g.pad + j;
              if (y >= 0 && y < g.H && xx >= 0 && xx < g.W)
                dx[((b * g.C + c) * g.H + y) * g.W + xx] +=
                    dcol[((c * g.KH + i) * g.KW + j) * (g.B * OH * OW) + (b * OH + oy) * OW + ox];
            }
}
}  // namespace ref

#define DPT_IM2COL(T)                                                                     \
  template void im2col<T>(const ConvGeom&, const T*, T*);                                 \
  template void col2im_acc<T>(const ConvGeom&, const T*, T*);                             \
  template void batch_to_channel_major<T>(const T*, T*, int64_t, int64_t, int64_t);       \
  template void channel_to_batch_major<T>(const T*, T*, int64_t, int64_t, int64_t);       \
  template void ref::im2col<T>(const ConvGeom&, const T*, T*);                            \
  template void ref::col2im_acc<T>(const ConvGeom&, const T*, T*);
DPT_IM2COL(float)
DPT_IM2COL(double)
#undef DPT_IM2COL

}  // namespace dpt::kern
