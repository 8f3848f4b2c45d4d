#include "kernels/vol2col.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>

namespace dpt::kern {

namespace {

// Output positions [lo, hi) along an axis of `n` outputs whose tap reads o*s + x0 inside [0, size):
// the others read padding.
inline void valid(int64_t x0, int64_t s, int64_t size, int64_t n, int64_t& lo, int64_t& hi) {
  lo = x0 >= 0 ? 0 : std::min(n, (-x0 + s - 1) / s);
  hi = x0 >= size ? lo : std::max(lo, std::min(n, (size - 1 - x0) / s + 1));
}

constexpr int64_t kPadRow = 2048;  // widest zero-padded input row the fast paths handle (on the stack)

// The KW rows of col for taps (c, i, j, 0..KW-1) over samples [b0, b0 + nb), out: the first of them
// (rows N apart). Stride 1 along W: each input row is copied once into a zero-padded row, and tap l
// is the OW values from l*DW on. Otherwise each value is read through its index.
template <class T>
void fill_rows(const VolGeom& g, const T* x, int64_t b0, int64_t nb, int64_t c, int64_t i, int64_t j, int64_t N,
               T* out) {
  const int64_t OD = g.out(0), OH = g.out(1), OW = g.out(2), H = g.in[1], W = g.in[2], KW = g.k[2];
  const int64_t z0 = i * g.d[0] - g.p[0], y0 = j * g.d[1] - g.p[1];
  const bool padded = g.s[2] == 1 && W + 2 * g.p[2] <= kPadRow;
  T pad[kPadRow];
  if (padded) std::fill(pad, pad + W + 2 * g.p[2], T(0));
  int64_t n = 0;
  for (int64_t s = 0; s < nb; ++s) {
    const T* plane = x + ((b0 + s) * g.C + c) * g.in_size();
    for (int64_t oz = 0; oz < OD; ++oz) {
      const int64_t z = oz * g.s[0] + z0;
      for (int64_t oy = 0; oy < OH; ++oy, n += OW) {
        const int64_t y = oy * g.s[1] + y0;
        if (z < 0 || z >= g.in[0] || y < 0 || y >= H) {
          for (int64_t l = 0; l < KW; ++l) std::fill(out + l * N + n, out + l * N + n + OW, T(0));
          continue;
        }
        const T* row = plane + (z * H + y) * W;
        if (padded) {
          std::memcpy(pad + g.p[2], row, static_cast<size_t>(W) * sizeof(T));
          for (int64_t l = 0; l < KW; ++l)
            std::memcpy(out + l * N + n, pad + l * g.d[2], static_cast<size_t>(OW) * sizeof(T));
          continue;
        }
        for (int64_t l = 0; l < KW; ++l) {
          const int64_t x0 = l * g.d[2] - g.p[2];
          int64_t lo = 0, hi = 0;
          valid(x0, g.s[2], W, OW, lo, hi);
          T* o = out + l * N + n;
          std::fill(o, o + lo, T(0));
          for (int64_t ox = lo; ox < hi; ++ox) o[ox] = row[ox * g.s[2] + x0];
          std::fill(o + hi, o + OW, T(0));
        }
      }
    }
  }
}

// dx volume of (sample, channel) += the taps of its rows of col, taps in (i, j, l) order.
template <class T>
void add_volume(const VolGeom& g, const T* col, int64_t nb, int64_t s, int64_t c, T* vol) {
  const int64_t OD = g.out(0), OH = g.out(1), OW = g.out(2), H = g.in[1], W = g.in[2];
  const int64_t N = nb * g.out_size();
  int64_t row = c * g.taps();
  for (int64_t i = 0; i < g.k[0]; ++i)
    for (int64_t j = 0; j < g.k[1]; ++j)
      for (int64_t l = 0; l < g.k[2]; ++l, ++row) {
        const int64_t z0 = i * g.d[0] - g.p[0], y0 = j * g.d[1] - g.p[1], x0 = l * g.d[2] - g.p[2];
        int64_t zlo, zhi, ylo, yhi, lo, hi;
        valid(z0, g.s[0], g.in[0], OD, zlo, zhi);
        valid(y0, g.s[1], H, OH, ylo, yhi);
        valid(x0, g.s[2], W, OW, lo, hi);
        const T* src = col + row * N + s * g.out_size();
        for (int64_t oz = zlo; oz < zhi; ++oz)
          for (int64_t oy = ylo; oy < yhi; ++oy) {
            const T* in = src + (oz * OH + oy) * OW;
            T* dst = vol + ((oz * g.s[0] + z0) * H + oy * g.s[1] + y0) * W;
            for (int64_t ox = lo; ox < hi; ++ox) dst[ox * g.s[2] + x0] += in[ox];
          }
      }
}

}  // namespace

template <class T>
void vol2col_range(const VolGeom& g, const T* x, int64_t b0, int64_t nb, T* col) {
  const int64_t rows = g.C * g.k[0] * g.k[1], N = nb * g.out_size();
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t q = r.begin(); q < r.end(); ++q) {
      const int64_t c = q / (g.k[0] * g.k[1]), i = q / g.k[1] % g.k[0], j = q % g.k[1];
      fill_rows(g, x, b0, nb, c, i, j, N, col + q * g.k[2] * N);
    }
  });
}

template <class T>
void col2vol_range_acc(const VolGeom& g, const T* col, int64_t b0, int64_t nb, T* dx) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, nb * g.C), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t q = r.begin(); q < r.end(); ++q) {
      const int64_t s = q / g.C, c = q % g.C;
      add_volume(g, col, nb, s, c, dx + ((b0 + s) * g.C + c) * g.in_size());
    }
  });
}

namespace ref {

// The input index that col element (row (c, i, j, l), column (s, oz, oy, ox)) reads, or -1 for padding.
static int64_t source(const VolGeom& g, int64_t b, int64_t c, const int64_t t[3], const int64_t o[3]) {
  int64_t idx = b * g.C + c;
  for (int a = 0; a < 3; ++a) {
    const int64_t v = o[a] * g.s[a] - g.p[a] + t[a] * g.d[a];
    if (v < 0 || v >= g.in[a]) return -1;
    idx = idx * g.in[a] + v;
  }
  return idx;
}

template <class T>
void vol2col_range(const VolGeom& g, const T* x, int64_t b0, int64_t nb, T* col) {
  const int64_t N = nb * g.out_size();
  int64_t row = 0;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.k[0]; ++i)
      for (int64_t j = 0; j < g.k[1]; ++j)
        for (int64_t l = 0; l < g.k[2]; ++l, ++row) {
          int64_t n = 0;
          const int64_t t[3] = {i, j, l};
          for (int64_t s = 0; s < nb; ++s)
            for (int64_t oz = 0; oz < g.out(0); ++oz)
              for (int64_t oy = 0; oy < g.out(1); ++oy)
                for (int64_t ox = 0; ox < g.out(2); ++ox, ++n) {
                  const int64_t o[3] = {oz, oy, ox}, src = source(g, b0 + s, c, t, o);
                  col[row * N + n] = src < 0 ? T(0) : x[src];
                }
        }
}

template <class T>
void col2vol_range_acc(const VolGeom& g, const T* col, int64_t b0, int64_t nb, T* dx) {
  const int64_t N = nb * g.out_size();
  for (int64_t s = 0; s < nb; ++s)
    for (int64_t c = 0; c < g.C; ++c) {
      int64_t row = c * g.taps();
      for (int64_t i = 0; i < g.k[0]; ++i)
        for (int64_t j = 0; j < g.k[1]; ++j)
          for (int64_t l = 0; l < g.k[2]; ++l, ++row) {
            const int64_t t[3] = {i, j, l};
            int64_t n = s * g.out_size();
            for (int64_t oz = 0; oz < g.out(0); ++oz)
              for (int64_t oy = 0; oy < g.out(1); ++oy)
                for (int64_t ox = 0; ox < g.out(2); ++ox, ++n) {
                  const int64_t o[3] = {oz, oy, ox}, dst = source(g, b0 + s, c, t, o);
                  if (dst >= 0) dx[dst] += col[row * N + n];
                }
          }
    }
}

template void vol2col_range<float>(const VolGeom&, const float*, int64_t, int64_t, float*);
template void vol2col_range<double>(const VolGeom&, const double*, int64_t, int64_t, double*);
template void col2vol_range_acc<float>(const VolGeom&, const float*, int64_t, int64_t, float*);
template void col2vol_range_acc<double>(const VolGeom&, const double*, int64_t, int64_t, double*);

}  // namespace ref

template void vol2col_range<float>(const VolGeom&, const float*, int64_t, int64_t, float*);
template void vol2col_range<double>(const VolGeom&, const double*, int64_t, int64_t, double*);
template void col2vol_range_acc<float>(const VolGeom&, const float*, int64_t, int64_t, float*);
template void col2vol_range_acc<double>(const VolGeom&, const double*, int64_t, int64_t, double*);

}  // namespace dpt::kern
