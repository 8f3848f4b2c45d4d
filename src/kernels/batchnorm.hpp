// Batch normalization kernels over x: (B, C, M) — per channel c, statistics over (b, m).
// M = H*W for images, 1 for dense features. Sums are in double and in a fixed order (one task per
// channel, 8 partial sums per channel in a grouping fixed by the shape), so results do not depend
// on the thread count. ref:: twins run channels serially with one running sum each.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct BnShape {
  int64_t B, C, M;
};

// sums: (2C): [sum x, sum x^2] per channel
template <class T>
void bn_sums(const BnShape& s, const T* x, double* sums);
// y = gamma * (x - mean) * invstd + beta
template <class T>
void bn_normalize(const BnShape& s, const T* x, const double* mean, const double* invstd, const T* gamma, const T* beta,
                  T* y);
// sums: (2C): [sum dy, sum dy * xhat] per channel, xhat = (x - mean) * invstd
template <class T>
void bn_backward_sums(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
                      double* sums);
// dx = gamma * invstd * (dy - sum_dy / N - xhat * sum_dy_xhat / N); N: samples in the statistics
template <class T>
void bn_backward_dx(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd, const T* gamma,
                    const double* sums, double N, T* dx);

namespace ref {
template <class T>
void bn_sums(const BnShape& s, const T* x, double* sums);
template <class T>
void bn_backward_sums(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
                      double* sums);
}  // namespace ref

}  // namespace dpt::kern
