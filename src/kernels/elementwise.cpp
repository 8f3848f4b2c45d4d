#include "kernels/elementwise.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>

namespace dpt::kern {

namespace {
constexpr int64_t kGrain = 16384;  // elements per task: below this, threading costs more than it saves

template <class F>
void for_range(int64_t n, int64_t grain, F&& f) {
  if (n <= grain) {
    f(int64_t{0}, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { f(r.begin(), r.end()); });
}
}  // namespace

template <class T>
void broadcast_rows(T* y, const T* b, int64_t B, int64_t N) {
  for_range(B, std::max<int64_t>(1, kGrain / std::max<int64_t>(N, 1)), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) std::copy(b, b + N, y + i * N);
  });
}

template <class T>
void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N) {
  // Parallel over column blocks; each block sums all rows in order, so results do not depend on
  // the thread count.
  constexpr int64_t kCols = 256;
  const int64_t blocks = (N + kCols - 1) / kCols;
  for_range(blocks, std::max<int64_t>(1, kGrain / std::max<int64_t>(B * kCols, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t j0 = blk * kCols, j1 = std::min(N, j0 + kCols);
      for (int64_t i = 0; i < B; ++i) {
        const T* row = dy + i * N;
        for (int64_t j = j0; j < j1; ++j) db[j] += row[j];
      }
    }
  });
}

template <class T>
void relu_forward(const T* x, T* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
  });
}

template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
  });
}

template <class T>
void scale(T* x, int64_t n, T s) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) x[i] *= s;
  });
}

namespace ref {
template <class T>
void broadcast_rows(T* y, const T* b, int64_t B, int64_t N) {
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < N; ++j) y[i * N + j] = b[j];
}
template <class T>
void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N) {
  for (int64_t j = 0; j < N; ++j) {
    T acc = db[j];
    for (int64_t i = 0; i < B; ++i) acc += dy[i * N + j];
    db[j] = acc;
  }
}
template <class T>
void relu_forward(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i], T(0));
}
template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}
template <class T>
void scale(T* x, int64_t n, T s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}
}  // namespace ref
}  // namespace dpt::kern

#define DPT_INSTANTIATE(NS, T)                                                  \
  template void NS::broadcast_rows<T>(T*, const T*, int64_t, int64_t);          \
  template void NS::sum_rows_acc<T>(const T*, T*, int64_t, int64_t);            \
  template void NS::relu_forward<T>(const T*, T*, int64_t);                     \
  template void NS::relu_backward<T>(const T*, const T*, T*, int64_t);          \
  template void NS::scale<T>(T*, int64_t, T);
DPT_INSTANTIATE(dpt::kern, float)
DPT_INSTANTIATE(dpt::kern, double)
DPT_INSTANTIATE(dpt::kern::ref, float)
DPT_INSTANTIATE(dpt::kern::ref, double)
#undef DPT_INSTANTIATE
