#include "kernels/layernorm.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace dpt::kern {

namespace {
template <class F>
void each(int64_t n, int64_t grain, F&& f) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, std::max<int64_t>(grain, 1)),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      for (int64_t i = r.begin(); i < r.end(); ++i) f(i);
                    });
}

// One sample: two passes in double (mean, then the mean of squared deviations), then y.
template <class T>
void forward_row(int64_t N, const T* x, const T* gamma, const T* beta, double eps, T* y, double& mean, double& invstd) {
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < N; ++i) sum += static_cast<double>(x[i]);
  mean = sum / static_cast<double>(N);
  for (int64_t i = 0; i < N; ++i) {
    const double d = static_cast<double>(x[i]) - mean;
    sq += d * d;
  }
  invstd = 1.0 / std::sqrt(sq / static_cast<double>(N) + eps);
  for (int64_t i = 0; i < N; ++i) {
    const double xhat = (static_cast<double>(x[i]) - mean) * invstd;
    y[i] = static_cast<T>(gamma ? xhat * static_cast<double>(gamma[i]) + static_cast<double>(beta[i]) : xhat);
  }
}

template <class T>
void backward_row(int64_t N, const T* x, const T* dy, const T* gamma, double mean, double invstd, T* dx) {
  double s1 = 0, s2 = 0;
  for (int64_t i = 0; i < N; ++i) {
    const double g = gamma ? static_cast<double>(dy[i]) * static_cast<double>(gamma[i]) : static_cast<double>(dy[i]);
    s1 += g, s2 += g * ((static_cast<double>(x[i]) - mean) * invstd);
  }
  const double m1 = s1 / static_cast<double>(N), m2 = s2 / static_cast<double>(N);
  for (int64_t i = 0; i < N; ++i) {
    const double g = gamma ? static_cast<double>(dy[i]) * static_cast<double>(gamma[i]) : static_cast<double>(dy[i]);
    const double xhat = (static_cast<double>(x[i]) - mean) * invstd;
    dx[i] = static_cast<T>(invstd * (g - m1 - xhat * m2));
  }
}

// Feature i's parameter gradients: samples summed in order.
template <class T>
void param_grads(const LnShape& s, int64_t i, const T* x, const T* dy, const double* mean, const double* invstd,
                 T* dgamma, T* dbeta) {
  double gw = 0, gb = 0;
  for (int64_t b = 0; b < s.B; ++b) {
    const double d = static_cast<double>(dy[b * s.N + i]);
    gw += d * ((static_cast<double>(x[b * s.N + i]) - mean[b]) * invstd[b]), gb += d;
  }
  if (dgamma) dgamma[i] += static_cast<T>(gw);
  if (dbeta) dbeta[i] += static_cast<T>(gb);
}
}  // namespace

template <class T>
void layernorm_forward(const LnShape& s, const T* x, const T* gamma, const T* beta, double eps, T* y, double* mean,
                       double* invstd) {
  each(s.B, 1, [&](int64_t b) { forward_row(s.N, x + b * s.N, gamma, beta, eps, y + b * s.N, mean[b], invstd[b]); });
}

template <class T>
void layernorm_backward(const LnShape& s, const T* x, const T* dy, const T* gamma, const double* mean,
                        const double* invstd, T* dx, T* dgamma, T* dbeta) {
  if (dgamma || dbeta)
    each(s.N, 4096 / std::max<int64_t>(s.B, 1),
         [&](int64_t i) { param_grads(s, i, x, dy, mean, invstd, dgamma, dbeta); });
  if (dx)
    each(s.B, 1,
         [&](int64_t b) { backward_row(s.N, x + b * s.N, dy + b * s.N, gamma, mean[b], invstd[b], dx + b * s.N); });
}

namespace ref {
template <class T>
void layernorm_forward(const LnShape& s, const T* x, const T* gamma, const T* beta, double eps, T* y, double* mean,
                       double* invstd) {
  for (int64_t b = 0; b < s.B; ++b) {
    const T* xb = x + b * s.N;
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < s.N; ++i) sum += xb[i];
    mean[b] = sum / static_cast<double>(s.N);
    for (int64_t i = 0; i < s.N; ++i) sq += (xb[i] - mean[b]) * (xb[i] - mean[b]);
    invstd[b] = 1.0 / std::sqrt(sq / static_cast<double>(s.N) + eps);
    for (int64_t i = 0; i < s.N; ++i) {
      const double xhat = (xb[i] - mean[b]) * invstd[b];
      y[b * s.N + i] = static_cast<T>(gamma ? xhat * gamma[i] + beta[i] : xhat);
    }
  }
}
template <class T>
void layernorm_backward(const LnShape& s, const T* x, const T* dy, const T* gamma, const double* mean,
                        const double* invstd, T* dx, T* dgamma, T* dbeta) {
  for (int64_t b = 0; b < s.B; ++b) {
    double s1 = 0, s2 = 0;
    for (int64_t i = 0; i < s.N; ++i) {
      const double g = static_cast<double>(dy[b * s.N + i]) * (gamma ? static_cast<double>(gamma[i]) : 1.0);
      s1 += g, s2 += g * ((x[b * s.N + i] - mean[b]) * invstd[b]);
    }
    for (int64_t i = 0; i < s.N && dx; ++i) {
      const double g = static_cast<double>(dy[b * s.N + i]) * (gamma ? static_cast<double>(gamma[i]) : 1.0);
      const double xhat = (x[b * s.N + i] - mean[b]) * invstd[b];
      dx[b * s.N + i] =
          static_cast<T>(invstd[b] * (g - s1 / static_cast<double>(s.N) - xhat * (s2 / static_cast<double>(s.N))));
    }
  }
  for (int64_t i = 0; i < s.N; ++i) {
    double gw = 0, gb = 0;
    for (int64_t b = 0; b < s.B; ++b) {
      gw += dy[b * s.N + i] * ((x[b * s.N + i] - mean[b]) * invstd[b]);
      gb += dy[b * s.N + i];
    }
    if (dgamma) dgamma[i] += static_cast<T>(gw);
    if (dbeta) dbeta[i] += static_cast<T>(gb);
  }
}
}  // namespace ref

#define DPT_LN(NS, T)                                                                                                 \
  template void NS::layernorm_forward<T>(const LnShape&, const T*, const T*, const T*, double, T*, double*, double*); \
  template void NS::layernorm_backward<T>(const LnShape&, const T*, const T*, const T*, const double*, const double*, \
                                          T*, T*, T*);
}  // namespace dpt::kern
DPT_LN(dpt::kern, float)
DPT_LN(dpt::kern, double)
DPT_LN(dpt::kern::ref, float)
DPT_LN(dpt::kern::ref, double)
#undef DPT_LN
