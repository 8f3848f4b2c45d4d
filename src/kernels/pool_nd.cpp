#include "kernels/pool_nd.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace dpt::kern {

namespace {
// relu(x) as kern::relu_forward computes it: +0 for x <= 0, -0 and NaN.
template <class T>
T relu(T x) {
  return x > T(0) ? x : T(0);
}

// The in-range taps [lo, hi) of output position o on axis a.
struct Span {
  int64_t lo, hi;
};
Span span(const PoolNdGeom& g, int a, int64_t o) {
  const int64_t start = o * g.stride[a] - g.pad[a];
  return {std::max<int64_t>(start, 0), std::min(start + g.k[a], g.in[a])};
}

// The windows of one plane, clipped to the input: f(o, d0, d1, h0, h1, w0, w1) per output o.
template <class F>
void windows(const PoolNdGeom& g, F&& f) {
  const int64_t OD = g.out(0), OH = g.out(1), OW = g.out(2);
  int64_t o = 0;
  for (int64_t od = 0; od < OD; ++od) {
    const Span d = span(g, 0, od);
    for (int64_t oh = 0; oh < OH; ++oh) {
      const Span h = span(g, 1, oh);
      for (int64_t ow = 0; ow < OW; ++ow, ++o) f(o, d, h, span(g, 2, ow));
    }
  }
}

bool is_2x2x2(const PoolNdGeom& g) {
  for (int a = 0; a < 3; ++a)
    if (g.k[a] != 2 || g.stride[a] != 2 || g.pad[a] != 0) return false;
  return true;
}

// The common 2x2x2 / stride 2 / no padding volume case without bounds checks or branches (the
// comparisons of real activations are unpredictable): the first maximum in (d, h, w) order wins,
// as in the general path.
template <bool Relu, class T>
void max_plane_2x2x2(const PoolNdGeom& g, const T* x, T* y, int32_t* arg) {
  const int64_t H = g.in[1], W = g.in[2], OH = g.out(1), OW = g.out(2);
  const int64_t off[4] = {0, W, H * W, H * W + W};  // the window's rows: (d, h) = (0, 0), (0, 1), (1, 0), (1, 1)
  for (int64_t od = 0; od < g.out(0); ++od)
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t base = (2 * od * H + 2 * oh) * W, o = (od * OH + oh) * OW;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t at0 = base + 2 * ow;
        T best = Relu ? relu(x[at0]) : x[at0];
        int64_t at = at0;
        for (int q = 0; q < 4; ++q)
          for (int l = q == 0 ? 1 : 0; l < 2; ++l) {
            const int64_t i = at0 + off[q] + l;
            const T v = Relu ? relu(x[i]) : x[i];
            at = v > best ? i : at, best = v > best ? v : best;
          }
        if (Relu && !(best > T(0))) at = -1;
        y[o + ow] = best, arg[o + ow] = static_cast<int32_t>(at);
      }
    }
}

template <bool Relu, class T>
void max_plane(const PoolNdGeom& g, const T* x, T* y, int32_t* arg) {
  if (is_2x2x2(g)) return max_plane_2x2x2<Relu>(g, x, y, arg);
  const int64_t H = g.in[1], W = g.in[2];
  windows(g, [&](int64_t o, Span d, Span h, Span w) {
    T best = -std::numeric_limits<T>::infinity();
    int32_t at = -1;
    for (int64_t i = d.lo; i < d.hi; ++i)
      for (int64_t j = h.lo; j < h.hi; ++j) {
        const int64_t row = (i * H + j) * W;
        for (int64_t l = w.lo; l < w.hi; ++l) {
          const T v = Relu ? relu(x[row + l]) : x[row + l];
          if (at < 0 || v > best) best = v, at = static_cast<int32_t>(row + l);
        }
      }
    if (Relu && !(best > T(0))) at = -1;
    y[o] = best, arg[o] = at;
  });
}

template <class T>
void avg_plane(const PoolNdGeom& g, const T* x, T* y) {
  const int64_t H = g.in[1], W = g.in[2];
  const T inv = T(1) / static_cast<T>(g.k[0] * g.k[1] * g.k[2]);
  windows(g, [&](int64_t o, Span d, Span h, Span w) {
    T sum = 0;
    for (int64_t i = d.lo; i < d.hi; ++i)
      for (int64_t j = h.lo; j < h.hi; ++j)
        for (int64_t l = w.lo; l < w.hi; ++l) sum += x[(i * H + j) * W + l];
    y[o] = sum * inv;
  });
}

template <class T>
void avg_plane_backward(const PoolNdGeom& g, const T* dy, T* dx) {
  const int64_t H = g.in[1], W = g.in[2];
  const T inv = T(1) / static_cast<T>(g.k[0] * g.k[1] * g.k[2]);
  std::fill(dx, dx + g.in_size(), T(0));
  windows(g, [&](int64_t o, Span d, Span h, Span w) {
    const T v = dy[o] * inv;
    for (int64_t i = d.lo; i < d.hi; ++i)
      for (int64_t j = h.lo; j < h.hi; ++j)
        for (int64_t l = w.lo; l < w.hi; ++l) dx[(i * H + j) * W + l] += v;
  });
}

template <class T>
void max_plane_backward(const PoolNdGeom& g, const T* dy, const int32_t* arg, T* dx) {
  std::fill(dx, dx + g.in_size(), T(0));
  const int64_t out = g.out_size();
  for (int64_t o = 0; o < out; ++o)
    if (arg[o] >= 0) dx[arg[o]] += dy[o];
}

// f(p) for every plane; each plane is one thread's, so results do not depend on the thread count.
template <class F>
void planes(const PoolNdGeom& g, F&& f) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(g.in_size(), 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, g.planes, grain), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t p = r.begin(); p < r.end(); ++p) f(p);
  });
}

// ref: every tap of the full window, skipping those outside the input; f(o, tap index) per tap
// in (d, h, w) order, then done(o).
template <class Tap, class Done>
void ref_windows(const PoolNdGeom& g, Tap&& tap, Done&& done) {
  int64_t o = 0;
  for (int64_t od = 0; od < g.out(0); ++od)
    for (int64_t oh = 0; oh < g.out(1); ++oh)
      for (int64_t ow = 0; ow < g.out(2); ++ow, ++o) {
        for (int64_t i = 0; i < g.k[0]; ++i)
          for (int64_t j = 0; j < g.k[1]; ++j)
            for (int64_t l = 0; l < g.k[2]; ++l) {
              const int64_t zd = od * g.stride[0] - g.pad[0] + i, zh = oh * g.stride[1] - g.pad[1] + j;
              const int64_t zw = ow * g.stride[2] - g.pad[2] + l;
              if (zd < 0 || zd >= g.in[0] || zh < 0 || zh >= g.in[1] || zw < 0 || zw >= g.in[2]) continue;
              tap(o, (zd * g.in[1] + zh) * g.in[2] + zw);
            }
        done(o);
      }
}
}  // namespace

template <class T>
void maxpool_nd_forward(const PoolNdGeom& g, const T* x, T* y, int32_t* arg, bool relu) {
  const int64_t in = g.in_size(), out = g.out_size();
  if (relu) return planes(g, [&](int64_t p) { max_plane<true>(g, x + p * in, y + p * out, arg + p * out); });
  planes(g, [&](int64_t p) { max_plane<false>(g, x + p * in, y + p * out, arg + p * out); });
}

template <class T>
void maxpool_nd_backward(const PoolNdGeom& g, const T* dy, const int32_t* arg, T* dx) {
  const int64_t in = g.in_size(), out = g.out_size();
  planes(g, [&](int64_t p) { max_plane_backward(g, dy + p * out, arg + p * out, dx + p * in); });
}

template <class T>
void avgpool_nd_forward(const PoolNdGeom& g, const T* x, T* y) {
  const int64_t in = g.in_size(), out = g.out_size();
  planes(g, [&](int64_t p) { avg_plane(g, x + p * in, y + p * out); });
}

template <class T>
void avgpool_nd_backward(const PoolNdGeom& g, const T* dy, T* dx) {
  const int64_t in = g.in_size(), out = g.out_size();
  planes(g, [&](int64_t p) { avg_plane_backward(g, dy + p * out, dx + p * in); });
}

namespace ref {
template <class T>
void maxpool_nd_forward(const PoolNdGeom& g, const T* x, T* y, int32_t* arg, bool relu) {
  const int64_t in = g.in_size(), out = g.out_size();
  std::vector<T> r;  // relu: the ReLU layer's output, then the pooling
  if (relu) {
    r.assign(x, x + g.planes * in);
    for (T& v : r) v = v > T(0) ? v : T(0);
    x = r.data();
  }
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * in;
    T best = 0;
    int32_t at = -1;
    ref_windows(
        g,
        [&](int64_t, int64_t i) {
          if (at < 0 || xp[i] > best) best = xp[i], at = static_cast<int32_t>(i);
        },
        [&](int64_t o) {
          y[p * out + o] = at < 0 ? -std::numeric_limits<T>::infinity() : best;
          arg[p * out + o] = relu && !(best > T(0)) ? -1 : at;
          at = -1;
        });
  }
}
template <class T>
void maxpool_nd_backward(const PoolNdGeom& g, const T* dy, const int32_t* arg, T* dx) {
  const int64_t in = g.in_size(), out = g.out_size();
  std::fill(dx, dx + g.planes * in, T(0));
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t o = 0; o < out; ++o)
      if (arg[p * out + o] >= 0) dx[p * in + arg[p * out + o]] += dy[p * out + o];
}
template <class T>
void avgpool_nd_forward(const PoolNdGeom& g, const T* x, T* y) {
  const int64_t in = g.in_size(), out = g.out_size();
  const T inv = T(1) / static_cast<T>(g.k[0] * g.k[1] * g.k[2]);
  for (int64_t p = 0; p < g.planes; ++p) {
    T sum = 0;
    ref_windows(
        g, [&](int64_t, int64_t i) { sum += x[p * in + i]; }, [&](int64_t o) { y[p * out + o] = sum * inv, sum = 0; });
  }
}
template <class T>
void avgpool_nd_backward(const PoolNdGeom& g, const T* dy, T* dx) {
  const int64_t in = g.in_size(), out = g.out_size();
  const T inv = T(1) / static_cast<T>(g.k[0] * g.k[1] * g.k[2]);
  std::fill(dx, dx + g.planes * in, T(0));
  for (int64_t p = 0; p < g.planes; ++p)
    ref_windows(
        g, [&](int64_t o, int64_t i) { dx[p * in + i] += dy[p * out + o] * inv; }, [](int64_t) {});
}
}  // namespace ref

#define DPT_POOL_ND(NS, T)                                                                   \
  template void NS::maxpool_nd_forward<T>(const PoolNdGeom&, const T*, T*, int32_t*, bool);  \
  template void NS::maxpool_nd_backward<T>(const PoolNdGeom&, const T*, const int32_t*, T*); \
  template void NS::avgpool_nd_forward<T>(const PoolNdGeom&, const T*, T*);                  \
  template void NS::avgpool_nd_backward<T>(const PoolNdGeom&, const T*, T*);
}  // namespace dpt::kern
DPT_POOL_ND(dpt::kern, float)
DPT_POOL_ND(dpt::kern, double)
DPT_POOL_ND(dpt::kern::ref, float)
DPT_POOL_ND(dpt::kern::ref, double)
#undef DPT_POOL_ND
