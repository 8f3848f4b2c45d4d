// Elementwise and row-wise kernels, TBB-parallel, each with a plain reference twin in ref::.
// Instantiated for float (training) and double (gradient checks).
#pragma once
#include <cstdint>

namespace dpt::kern {

// y: (B, N) <- every row set to b: (N)
template <class T> void broadcast_rows(T* y, const T* b, int64_t B, int64_t N);
// db: (N) += column sums of dy: (B, N)
template <class T> void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N);
// y = max(x, 0), n elements (y may alias x)
template <class T> void relu_forward(const T* x, T* y, int64_t n);
// dx = dy where y > 0, else 0 (dx may alias dy)
template <class T> void relu_backward(const T* y, const T* dy, T* dx, int64_t n);
// x *= s
template <class T> void scale(T* x, int64_t n, T s);

namespace ref {
template <class T> void broadcast_rows(T* y, const T* b, int64_t B, int64_t N);
template <class T> void sum_rows_acc(const T* dy, T* db, int64_t B, int64_t N);
template <class T> void relu_forward(const T* x, T* y, int64_t n);
template <class T> void relu_backward(const T* y, const T* dy, T* dx, int64_t n);
template <class T> void scale(T* x, int64_t n, T s);
}  // namespace ref

}  // namespace dpt::kern
