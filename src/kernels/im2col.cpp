#include "kernels/im2col.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>

namespace dpt::kern {

namespace {
// Columns [lo, hi) of a stride-1 row whose source starts at x0 (may be negative): the rest are padding.
inline void span(int64_t x0, int64_t W, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = std::clamp<int64_t>(-x0, 0, OW), hi = std::max(lo, std::clamp<int64_t>(W - x0, 0, OW));
}

// n floats s -> d: blocks of 8 by fixed-size memcpy (inlined as vector moves; a plain loop would be
// vectorized with per-run alias checks or turned into a memcpy call, both slow for 8-24 elements).
template <class T>
inline void copy_short(T* d, const T* s, int64_t n) {
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) std::memcpy(d + k, s + k, 8 * sizeof(T));
  for (; k < n; ++k) d[k] = s[k];
}

// d[0, n) += s[0, n), the same way
template <class T>
inline void add_short(T* d, const T* s, int64_t n) {
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    T a[8], b[8];
    std::memcpy(a, d + k, sizeof a);
    std::memcpy(b, s + k, sizeof b);
    for (int q = 0; q < 8; ++q) a[q] += b[q];
    std::memcpy(d + k, a, sizeof a);
  }
  for (; k < n; ++k) d[k] += s[k];
}

// rows x N values: out row r = s row r (row stride W), or img row r += in row r. N is a compile-time
// width so the copies unroll into a few vector moves (the per-row overhead dominates at 8-24 floats).
template <class T, int N>
void copy_rows(T* out, const T* s, int64_t rows, int64_t W) {
  for (int64_t r = 0; r < rows; ++r, out += N, s += W) {
    T v[N];
    for (int k = 0; k < N; ++k) v[k] = s[k];
    for (int k = 0; k < N; ++k) out[k] = v[k];
  }
}
template <class T, int N>
void add_rows(T* img, const T* in, int64_t rows, int64_t W) {
  for (int64_t r = 0; r < rows; ++r, img += W, in += N) {
    T v[N];
    for (int k = 0; k < N; ++k) v[k] = img[k] + in[k];
    for (int k = 0; k < N; ++k) img[k] = v[k];
  }
}

// The same for any width n, with fixed-width paths for common ones (n = OW).
template <class T>
void copy_rows(T* out, const T* s, int64_t rows, int64_t W, int64_t n) {
  switch (n) {
    case 8:
      return copy_rows<T, 8>(out, s, rows, W);
    case 12:
      return copy_rows<T, 12>(out, s, rows, W);
    case 16:
      return copy_rows<T, 16>(out, s, rows, W);
    case 24:
      return copy_rows<T, 24>(out, s, rows, W);
    case 32:
      return copy_rows<T, 32>(out, s, rows, W);
    default:
      for (int64_t r = 0; r < rows; ++r, out += n, s += W) copy_short(out, s, n);
  }
}
template <class T>
void add_rows(T* img, const T* in, int64_t rows, int64_t W, int64_t n) {
  switch (n) {
    case 8:
      return add_rows<T, 8>(img, in, rows, W);
    case 12:
      return add_rows<T, 12>(img, in, rows, W);
    case 16:
      return add_rows<T, 16>(img, in, rows, W);
    case 24:
      return add_rows<T, 24>(img, in, rows, W);
    case 32:
      return add_rows<T, 32>(img, in, rows, W);
    default:
      for (int64_t r = 0; r < rows; ++r, img += W, in += n) add_short(img, in, n);
  }
}

// Output rows [oy0, oy1) of a stride-1 tap at row offset i read image rows inside the image.
inline void valid_rows(const ConvGeom& g, int64_t i, int64_t& oy0, int64_t& oy1) {
  const int64_t OH = g.OH();
  oy0 = std::clamp<int64_t>(g.pad - i, 0, OH), oy1 = std::max(oy0, std::clamp<int64_t>(g.H + g.pad - i, 0, OH));
}

// out (OH*OW) = the tap at offsets (i, j) (the kernel position times the dilation) of one image plane
// img (H, W) for every output pixel, 0 in padding.
template <class T>
void im2col_tap(const ConvGeom& g, const T* img, T* out, int64_t i, int64_t j) {
  const int64_t OH = g.OH(), OW = g.OW();
  if (g.stride == 1) {  // contiguous runs with zero borders
    int64_t lo, hi, oy0, oy1;
    span(j - g.pad, g.W, OW, lo, hi);
    valid_rows(g, i, oy0, oy1);
    std::fill(out, out + oy0 * OW, T(0));
    std::fill(out + oy1 * OW, out + OH * OW, T(0));
    if (oy0 == oy1) return;
    const T* s = img + (oy0 - g.pad + i) * g.W + (j - g.pad);  // column lo of it is in the image
    if (lo == 0 && hi == OW) return copy_rows(out + oy0 * OW, s, oy1 - oy0, g.W, OW);
    for (int64_t oy = oy0; oy < oy1; ++oy, s += g.W) {
      T* row = out + oy * OW;
      for (int64_t ox = 0; ox < lo; ++ox) row[ox] = T(0);
      copy_short(row + lo, s + lo, hi - lo);
      for (int64_t ox = hi; ox < OW; ++ox) row[ox] = T(0);
    }
    return;
  }
  for (int64_t oy = 0; oy < OH; ++oy, out += OW) {
    const int64_t y = oy * g.stride - g.pad + i;
    if (y < 0 || y >= g.H) {
      std::fill(out, out + OW, T(0));
      continue;
    }
    const T* src = img + y * g.W;
    for (int64_t ox = 0; ox < OW; ++ox) {
      const int64_t xx = ox * g.stride - g.pad + j;
      out[ox] = xx >= 0 && xx < g.W ? src[xx] : T(0);
    }
  }
}

// img (H, W) += the gradient in (OH*OW) of the tap at offsets (i, j): im2col_tap's adjoint.
template <class T>
void col2im_tap(const ConvGeom& g, const T* in, T* img, int64_t i, int64_t j) {
  const int64_t OH = g.OH(), OW = g.OW();
  if (g.stride == 1) {
    int64_t lo, hi, oy0, oy1;
    span(j - g.pad, g.W, OW, lo, hi);
    valid_rows(g, i, oy0, oy1);
    if (oy0 == oy1) return;
    T* d = img + (oy0 - g.pad + i) * g.W + (j - g.pad);
    if (lo == 0 && hi == OW) return add_rows(d, in + oy0 * OW, oy1 - oy0, g.W, OW);
    for (int64_t oy = oy0; oy < oy1; ++oy, d += g.W) add_short(d + lo, in + oy * OW + lo, hi - lo);
    return;
  }
  for (int64_t oy = 0; oy < OH; ++oy, in += OW) {
    const int64_t y = oy * g.stride - g.pad + i;
    if (y < 0 || y >= g.H) continue;
    for (int64_t ox = 0; ox < OW; ++ox) {
      const int64_t xx = ox * g.stride - g.pad + j;
      if (xx >= 0 && xx < g.W) img[y * g.W + xx] += in[ox];
    }
  }
}

// Stride 1, dilation 1, padded width W + 2*pad <= kPadRow (every 3x3 pad-1 layer of a small image):
// each image row is copied once into a zero-padded row t (W + 2*pad), and tap j of an output row is
// then t[j, j + OW): one fixed-width copy per tap instead of a border case for every j != pad.
// col2im (KW = 3) adds the three taps of an output row to the dx row in one pass, in j order: each dx
// element gets its taps in the same (i, j) order as ref::.
constexpr int64_t kPadRow = 128;

inline bool padded_rows(const ConvGeom& g) { return g.stride == 1 && g.dil == 1 && g.W + 2 * g.pad <= kPadRow; }

// d[0, n) = s[0, n), with compile-time n for the Fashion-MNIST / CIFAR widths.
template <class T, int N>
inline void copy_fixed(T* d, const T* s) {
  T v[N];
  for (int k = 0; k < N; ++k) v[k] = s[k];
  for (int k = 0; k < N; ++k) d[k] = v[k];
}
template <class T>
inline void copy_row(T* d, const T* s, int64_t n) {
  switch (n) {
    case 7:
      return copy_fixed<T, 7>(d, s);
    case 14:
      return copy_fixed<T, 14>(d, s);
    case 16:
      return copy_fixed<T, 16>(d, s);
    case 28:
      return copy_fixed<T, 28>(d, s);
    case 32:
      return copy_fixed<T, 32>(d, s);
    default:
      copy_short(d, s, n);
  }
}

// col rows (c, i, 0..KW) for sample plane img (H, W): out + j*ncol (OH*OW) = tap (i, j).
template <class T>
void im2col_padded(const ConvGeom& g, const T* img, T* out, int64_t ncol, int64_t i) {
  const int64_t OH = g.OH(), OW = g.OW();
  T t[kPadRow] = {};  // t[pad, pad + W) = the image row, zeros around it
  for (int64_t oy = 0; oy < OH; ++oy) {
    const int64_t y = oy - g.pad + i;
    if (y < 0 || y >= g.H) {
      for (int64_t j = 0; j < g.KW; ++j) std::fill_n(out + j * ncol + oy * OW, OW, T(0));
      continue;
    }
    copy_short(t + g.pad, img + y * g.W, g.W);
    for (int64_t j = 0; j < g.KW; ++j) copy_row(out + j * ncol + oy * OW, t + j, OW);
  }
}

// d (W) += taps j = 0, 1, 2 of one output row (r0, r1, r2: OW each; tap j reads d[ox + j - pad]),
// added in j order to each element; the columns where every tap lands are a plain vector loop.
template <class T>
void add_taps3(T* d, const T* __restrict r0, const T* __restrict r1, const T* __restrict r2, int64_t W, int64_t OW,
               int64_t pad) {
  const T* r[3] = {r0, r1, r2};
  const int64_t lo = std::clamp<int64_t>(2 - pad, 0, W), hi = std::max(lo, std::min(W, OW - pad));
  auto edge = [&](int64_t x) {
    T a = d[x];
    for (int64_t j = 0; j < 3; ++j)
      if (x + pad - j >= 0 && x + pad - j < OW) a += r[j][x + pad - j];
    d[x] = a;
  };
  for (int64_t x = 0; x < lo; ++x) edge(x);
  T* __restrict dd = d;
  for (int64_t x = lo; x < hi; ++x) dd[x] = dd[x] + r0[x + pad] + r1[x + pad - 1] + r2[x + pad - 2];
  for (int64_t x = hi; x < W; ++x) edge(x);
}

// img (H, W) += the taps (i, 0..2) in (OH*OW) each, at in + j*ncol: im2col_padded's adjoint for
// KW = 3 (other widths take col2im_tap).
template <class T>
void col2im_taps3(const ConvGeom& g, const T* in, T* img, int64_t ncol, int64_t i) {
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t oy = 0; oy < OH; ++oy) {
    const int64_t y = oy - g.pad + i;
    if (y < 0 || y >= g.H) continue;
    const T* r = in + oy * OW;
    add_taps3(img + y * g.W, r, r + ncol, r + 2 * ncol, g.W, OW, g.pad);
  }
}

template <class F>
void parallel(int64_t n, F&& f) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t k = r.begin(); k < r.end(); ++k) f(k);
  });
}
}  // namespace

template <class T>
void im2col(const ConvGeom& g, const T* x, T* col) {
  im2col_range(g, x, 0, g.B, col);
}

template <class T>
void col2im_acc(const ConvGeom& g, const T* dcol, T* dx) {
  col2im_range_acc(g, dcol, 0, g.B, dx);
}

// Row by row (each row written front to back, samples one after the other), in parallel over
// (c, i): each task owns KW rows of col.
template <class T>
void im2col_range(const ConvGeom& g, const T* x, int64_t b0, int64_t nb, T* col) {
  const int64_t P = g.OH() * g.OW(), ncol = nb * P, HW = g.H * g.W;
  parallel(g.C * g.KH, [&](int64_t ci) {
    const int64_t c = ci / g.KH, i = ci % g.KH;
    if (padded_rows(g)) {
      for (int64_t s = 0; s < nb; ++s)
        im2col_padded(g, x + ((b0 + s) * g.C + c) * HW, col + ci * g.KW * ncol + s * P, ncol, i);
      return;
    }
    for (int64_t j = 0; j < g.KW; ++j) {
      T* row = col + (ci * g.KW + j) * ncol;
      for (int64_t s = 0; s < nb; ++s) im2col_tap(g, x + ((b0 + s) * g.C + c) * HW, row + s * P, i * g.dil, j * g.dil);
    }
  });
}

// In parallel over input channels: channel c's planes of dx only receive rows (c, *, *), added in
// (i, j) order like ref::col2im_acc, so the sums do not depend on threads.
template <class T>
void col2im_range_acc(const ConvGeom& g, const T* dcol, int64_t b0, int64_t nb, T* dx) {
  const int64_t P = g.OH() * g.OW(), ncol = nb * P, HW = g.H * g.W;
  parallel(g.C, [&](int64_t c) {
    for (int64_t s = 0; s < nb; ++s)
      for (int64_t i = 0; i < g.KH; ++i) {
        if (padded_rows(g) && g.KW == 3) {
          col2im_taps3(g, dcol + (c * g.KH + i) * g.KW * ncol + s * P, dx + ((b0 + s) * g.C + c) * HW, ncol, i);
          continue;
        }
        for (int64_t j = 0; j < g.KW; ++j)
          col2im_tap(g, dcol + ((c * g.KH + i) * g.KW + j) * ncol + s * P, dx + ((b0 + s) * g.C + c) * HW, i * g.dil,
                     j * g.dil);
      }
  });
}

template <class T>
void batch_to_channel_major(const T* a, T* b, int64_t B, int64_t N, int64_t M) {
  parallel(B, [&](int64_t s) {
    for (int64_t n = 0; n < N; ++n)
      std::memcpy(b + (n * B + s) * M, a + (s * N + n) * M, static_cast<size_t>(M) * sizeof(T));
  });
}

template <class T>
void channel_to_batch_major(const T* a, T* b, int64_t B, int64_t N, int64_t M) {
  parallel(B, [&](int64_t s) {
    for (int64_t n = 0; n < N; ++n)
      std::memcpy(b + (s * N + n) * M, a + (n * B + s) * M, static_cast<size_t>(M) * sizeof(T));
  });
}

template <class T>
void channel_sums_acc(const T* dy, T* db, int64_t B, int64_t C, int64_t M) {
  constexpr int64_t L = 16;
  parallel(C, [&](int64_t c) {
    T part[L] = {};
    for (int64_t b = 0; b < B; ++b) {
      const T* row = dy + (b * C + c) * M;
      int64_t m = 0;
      for (; m + L <= M; m += L)
        for (int64_t l = 0; l < L; ++l) part[l] += row[m + l];
      for (int64_t l = 0; m + l < M; ++l) part[l] += row[m + l];
    }
    for (int64_t w = L / 2; w > 0; w /= 2)
      for (int64_t l = 0; l < w; ++l) part[l] += part[l + w];
    db[c] += part[0];
  });
}

namespace ref {
template <class T>
void channel_sums_acc(const T* dy, T* db, int64_t B, int64_t C, int64_t M) {
  for (int64_t c = 0; c < C; ++c) {
    double acc = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t m = 0; m < M; ++m) acc += dy[(b * C + c) * M + m];
    db[c] = static_cast<T>(db[c] + acc);
  }
}

template <class T>
void im2col(const ConvGeom& g, const T* x, T* col) {
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j)
        for (int64_t b = 0; b < g.B; ++b)
          for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox) {
              const int64_t y = oy * g.stride - g.pad + i * g.dil, xx = ox * g.stride - g.pad + j * g.dil;
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
              const int64_t y = oy * g.stride - g.pad + i * g.dil, xx = ox * g.stride - g.pad + j * g.dil;
              if (y >= 0 && y < g.H && xx >= 0 && xx < g.W)
                dx[((b * g.C + c) * g.H + y) * g.W + xx] +=
                    dcol[((c * g.KH + i) * g.KW + j) * (g.B * OH * OW) + (b * OH + oy) * OW + ox];
            }
}
}  // namespace ref

#define DPT_IM2COL(T)                                                                 \
  template void im2col<T>(const ConvGeom&, const T*, T*);                             \
  template void col2im_acc<T>(const ConvGeom&, const T*, T*);                         \
  template void im2col_range<T>(const ConvGeom&, const T*, int64_t, int64_t, T*);     \
  template void col2im_range_acc<T>(const ConvGeom&, const T*, int64_t, int64_t, T*); \
  template void batch_to_channel_major<T>(const T*, T*, int64_t, int64_t, int64_t);   \
  template void channel_to_batch_major<T>(const T*, T*, int64_t, int64_t, int64_t);   \
  template void ref::im2col<T>(const ConvGeom&, const T*, T*);                        \
  template void channel_sums_acc<T>(const T*, T*, int64_t, int64_t, int64_t);         \
  template void ref::channel_sums_acc<T>(const T*, T*, int64_t, int64_t, int64_t);    \
  template void ref::col2im_acc<T>(const ConvGeom&, const T*, T*);
DPT_IM2COL(float)
DPT_IM2COL(double)
#undef DPT_IM2COL

}  // namespace dpt::kern
