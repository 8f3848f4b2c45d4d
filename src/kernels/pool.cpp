#include "kernels/pool.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace dpt::kern {

namespace {
// The common 2x2 / stride 2 / no padding case, without bounds checks and without branches (the
// comparisons of real activations are unpredictable): the first maximum in (0,0), (0,1), (1,0),
// (1,1) order wins, as in the general path.
// relu(x) as kern::relu_forward computes it: +0 for x <= 0, -0 and NaN.
template <class T>
T relu(T x) {
  return x > T(0) ? x : T(0);
}

// Relu: the max of relu(x) over each window (the ReLU layer before the pooling, fused), with arg
// -1 where that max is not positive (relu passes no gradient there).
template <bool Relu, class T>
void max_plane_2x2(const PoolGeom& g, const T* x, T* y, int32_t* arg) {
  const int64_t OH = g.OH(), OW = g.OW();
  const int32_t W = static_cast<int32_t>(g.W);
  for (int64_t oy = 0; oy < OH; ++oy) {
    const T* r0 = x + 2 * oy * g.W;
    const T* r1 = r0 + g.W;
    T* yo = y + oy * OW;
    int32_t* ao = arg + oy * OW;
    const int32_t base = static_cast<int32_t>(2 * oy * g.W);
    for (int64_t ox = 0; ox < OW; ++ox) {
      T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
      if constexpr (Relu) a = relu(a), b = relu(b), c = relu(c), d = relu(d);
      const int32_t at0 = base + 2 * static_cast<int32_t>(ox);
      T best = a;
      int32_t at = at0;
      at = b > best ? at0 + 1 : at, best = b > best ? b : best;
      at = c > best ? at0 + W : at, best = c > best ? c : best;
      at = d > best ? at0 + W + 1 : at, best = d > best ? d : best;
      if constexpr (Relu) at = best > T(0) ? at : -1;
      yo[ox] = best, ao[ox] = at;
    }
  }
}

// Its backward: windows do not overlap, so dx = 0 then one store per window at its argmax.
template <class T>
void max_plane_2x2_backward(const PoolGeom& g, const T* dy, const int32_t* arg, T* dx) {
  const int64_t out = g.OH() * g.OW();
  std::fill(dx, dx + g.H * g.W, T(0));
  for (int64_t o = 0; o < out; ++o)  // + 0: -0 becomes +0, as in ref's 0 + dy; -1: a fused relu's zero
    if (arg[o] >= 0) dx[arg[o]] = dy[o] + T(0);
}

template <bool Relu, class T>
void max_plane(const PoolGeom& g, const T* x, T* y, int32_t* arg) {
  if (g.k == 2 && g.stride == 2 && g.pad == 0) return max_plane_2x2<Relu>(g, x, y, arg);
  const int64_t OH = g.OH(), OW = g.OW();
  for (int64_t oy = 0; oy < OH; ++oy)
    for (int64_t ox = 0; ox < OW; ++ox) {
      T best = -std::numeric_limits<T>::infinity();
      int32_t at = -1;
      for (int64_t i = 0; i < g.k; ++i) {
        const int64_t yy = oy * g.stride - g.pad + i;
        if (yy < 0 || yy >= g.H) continue;
        for (int64_t j = 0; j < g.k; ++j) {
          const int64_t xx = ox * g.stride - g.pad + j;
          if (xx < 0 || xx >= g.W) continue;
          const T v = Relu ? relu(x[yy * g.W + xx]) : x[yy * g.W + xx];
          if (at < 0 || v > best) best = v, at = static_cast<int32_t>(yy * g.W + xx);
        }
      }
      if (Relu && !(best > T(0))) at = -1;  // see max_plane_2x2
      y[oy * OW + ox] = best;
      arg[oy * OW + ox] = at;
    }
}

template <class T>
void avg_plane(const PoolGeom& g, const T* x, T* y) {
  const int64_t OH = g.OH(), OW = g.OW();
  const T inv = T(1) / static_cast<T>(g.k * g.k);
  for (int64_t oy = 0; oy < OH; ++oy)
    for (int64_t ox = 0; ox < OW; ++ox) {
      T sum = 0;
      for (int64_t i = 0; i < g.k; ++i) {
        const int64_t yy = oy * g.stride - g.pad + i;
        if (yy < 0 || yy >= g.H) continue;
        for (int64_t j = 0; j < g.k; ++j) {
          const int64_t xx = ox * g.stride - g.pad + j;
          if (xx >= 0 && xx < g.W) sum += x[yy * g.W + xx];
        }
      }
      y[oy * OW + ox] = sum * inv;
    }
}

template <class T>
void avg_plane_backward(const PoolGeom& g, const T* dy, T* dx) {
  const int64_t OH = g.OH(), OW = g.OW();
  const T inv = T(1) / static_cast<T>(g.k * g.k);
  std::fill(dx, dx + g.H * g.W, T(0));
  for (int64_t oy = 0; oy < OH; ++oy)
    for (int64_t ox = 0; ox < OW; ++ox)
      for (int64_t i = 0; i < g.k; ++i) {
        const int64_t yy = oy * g.stride - g.pad + i;
        if (yy < 0 || yy >= g.H) continue;
        for (int64_t j = 0; j < g.k; ++j) {
          const int64_t xx = ox * g.stride - g.pad + j;
          if (xx >= 0 && xx < g.W) dx[yy * g.W + xx] += dy[oy * OW + ox] * inv;
        }
      }
}

template <class F>
void planes(const PoolGeom& g, F&& f) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(g.H * g.W, 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, g.planes, grain), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t p = r.begin(); p < r.end(); ++p) f(p);
  });
}
}  // namespace

template <class T>
void maxpool_forward(const PoolGeom& g, const T* x, T* y, int32_t* arg, bool relu) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  if (relu) return planes(g, [&](int64_t p) { max_plane<true>(g, x + p * in, y + p * out, arg + p * out); });
  planes(g, [&](int64_t p) { max_plane<false>(g, x + p * in, y + p * out, arg + p * out); });
}

template <class T>
void maxpool_backward(const PoolGeom& g, const T* dy, const int32_t* arg, T* dx) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  if (g.k == 2 && g.stride == 2 && g.pad == 0)
    return planes(g, [&](int64_t p) { max_plane_2x2_backward(g, dy + p * out, arg + p * out, dx + p * in); });
  planes(g, [&](int64_t p) {
    T* d = dx + p * in;
    std::fill(d, d + in, T(0));
    for (int64_t o = 0; o < out; ++o)
      if (arg[p * out + o] >= 0) d[arg[p * out + o]] += dy[p * out + o];
  });
}

template <class T>
void avgpool_forward(const PoolGeom& g, const T* x, T* y) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  planes(g, [&](int64_t p) { avg_plane(g, x + p * in, y + p * out); });
}

template <class T>
void avgpool_backward(const PoolGeom& g, const T* dy, T* dx) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  planes(g, [&](int64_t p) { avg_plane_backward(g, dy + p * out, dx + p * in); });
}

// x: (planes, HW) -> y: (planes)
template <class T>
void global_avgpool_forward(const T* x, T* y, int64_t n, int64_t HW) {
  planes(PoolGeom{n, HW, 1, 1, 1, 0}, [&](int64_t p) {
    double sum = 0;
    for (int64_t m = 0; m < HW; ++m) sum += static_cast<double>(x[p * HW + m]);
    y[p] = static_cast<T>(sum / static_cast<double>(HW));
  });
}

// dy: (planes) -> dx: (planes, HW)
template <class T>
void global_avgpool_backward(const T* dy, T* dx, int64_t n, int64_t HW) {
  planes(PoolGeom{n, HW, 1, 1, 1, 0}, [&](int64_t p) { std::fill(dx + p * HW, dx + (p + 1) * HW, dy[p] / T(HW)); });
}

namespace ref {
template <class T>
void global_avgpool_forward(const T* x, T* y, int64_t planes, int64_t HW) {
  for (int64_t p = 0; p < planes; ++p) {
    double sum = 0;
    for (int64_t m = 0; m < HW; ++m) sum += x[p * HW + m];
    y[p] = static_cast<T>(sum / HW);
  }
}
template <class T>
void global_avgpool_backward(const T* dy, T* dx, int64_t planes, int64_t HW) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t m = 0; m < HW; ++m) dx[p * HW + m] = dy[p] / static_cast<T>(HW);
}

template <class T>
void maxpool_forward(const PoolGeom& g, const T* x, T* y, int32_t* arg, bool relu) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  std::vector<T> r;  // relu: the ReLU layer's output (kern::relu_forward's x > 0 ? x : +0), then the pooling
  if (relu) {
    r.resize(static_cast<size_t>(g.planes * in));
    for (size_t i = 0; i < r.size(); ++i) r[i] = x[i] > T(0) ? x[i] : T(0);
    x = r.data();
  }
  for (int64_t p = 0; p < g.planes; ++p) max_plane<false>(g, x + p * in, y + p * out, arg + p * out);
  if (relu)  // ReLU's backward passes no gradient where its output is not positive
    for (int64_t o = 0; o < g.planes * out; ++o) arg[o] = y[o] > T(0) ? arg[o] : -1;
}
template <class T>
void maxpool_backward(const PoolGeom& g, const T* dy, const int32_t* arg, T* dx) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  std::fill(dx, dx + g.planes * in, T(0));
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t o = 0; o < out; ++o)
      if (arg[p * out + o] >= 0) dx[p * in + arg[p * out + o]] += dy[p * out + o];
}
template <class T>
void avgpool_forward(const PoolGeom& g, const T* x, T* y) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  for (int64_t p = 0; p < g.planes; ++p) avg_plane(g, x + p * in, y + p * out);
}
template <class T>
void avgpool_backward(const PoolGeom& g, const T* dy, T* dx) {
  const int64_t in = g.H * g.W, out = g.OH() * g.OW();
  for (int64_t p = 0; p < g.planes; ++p) avg_plane_backward(g, dy + p * out, dx + p * in);
}
}  // namespace ref

#define DPT_POOL(NS, T)                                                                 \
  template void NS::maxpool_forward<T>(const PoolGeom&, const T*, T*, int32_t*, bool);  \
  template void NS::maxpool_backward<T>(const PoolGeom&, const T*, const int32_t*, T*); \
  template void NS::avgpool_forward<T>(const PoolGeom&, const T*, T*);                  \
  template void NS::avgpool_backward<T>(const PoolGeom&, const T*, T*);                 \
  template void NS::global_avgpool_forward<T>(const T*, T*, int64_t, int64_t);          \
  template void NS::global_avgpool_backward<T>(const T*, T*, int64_t, int64_t);
}  // namespace dpt::kern
DPT_POOL(dpt::kern, float)
DPT_POOL(dpt::kern, double)
DPT_POOL(dpt::kern::ref, float)
DPT_POOL(dpt::kern::ref, double)
#undef DPT_POOL
