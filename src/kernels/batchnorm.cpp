#include "kernels/batchnorm.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace dpt::kern {

namespace {
template <class F>
void channels(int64_t C, F&& f) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, C, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t c = r.begin(); c < r.end(); ++c) f(c);
  });
}

template <class T>
void sums_channel(const BnShape& s, const T* x, double* sums, int64_t c) {
  double a = 0, q = 0;
  for (int64_t b = 0; b < s.B; ++b) {
    const T* p = x + (b * s.C + c) * s.M;
    for (int64_t m = 0; m < s.M; ++m) a += p[m], q += static_cast<double>(p[m]) * p[m];
  }
  sums[c] = a, sums[s.C + c] = q;
}

template <class T>
void back_sums_channel(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
                       double* sums, int64_t c) {
  double a = 0, q = 0;
  for (int64_t b = 0; b < s.B; ++b) {
    const int64_t o = (b * s.C + c) * s.M;
    for (int64_t m = 0; m < s.M; ++m) {
      a += dy[o + m];
      q += static_cast<double>(dy[o + m]) * (x[o + m] - mean[c]) * invstd[c];
    }
  }
  sums[c] = a, sums[s.C + c] = q;
}
}  // namespace

template <class T>
void bn_sums(const BnShape& s, const T* x, double* sums) {
  channels(s.C, [&](int64_t c) { sums_channel(s, x, sums, c); });
}

template <class T>
void bn_normalize(const BnShape& s, const T* x, const double* mean, const double* invstd, const T* gamma, const T* beta,
                  T* y) {
  channels(s.C, [&](int64_t c) {
    const T k = static_cast<T>(gamma[c] * invstd[c]), off = static_cast<T>(beta[c] - gamma[c] * mean[c] * invstd[c]);
    for (int64_t b = 0; b < s.B; ++b) {
      const int64_t o = (b * s.C + c) * s.M;
      for (int64_t m = 0; m < s.M; ++m) y[o + m] = x[o + m] * k + off;
    }
  });
}

template <class T>
void bn_backward_sums(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
                      double* sums) {
  channels(s.C, [&](int64_t c) { back_sums_channel(s, x, dy, mean, invstd, sums, c); });
}

template <class T>
void bn_backward_dx(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd, const T* gamma,
                    const double* sums, double N, T* dx) {
  channels(s.C, [&](int64_t c) {
    const double k = gamma[c] * invstd[c], mdy = sums[c] / N, mdyx = sums[s.C + c] / N;
    for (int64_t b = 0; b < s.B; ++b) {
      const int64_t o = (b * s.C + c) * s.M;
      for (int64_t m = 0; m < s.M; ++m) {
        const double xhat = (x[o + m] - mean[c]) * invstd[c];
        dx[o + m] = static_cast<T>(k * (dy[o + m] - mdy - xhat * mdyx));
      }
    }
  });
}

namespace ref {
template <class T>
void bn_sums(const BnShape& s, const T* x, double* sums) {
  for (int64_t c = 0; c < s.C; ++c) sums_channel(s, x, sums, c);
}
template <class T>
void bn_backward_sums(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
                      double* sums) {
  for (int64_t c = 0; c < s.C; ++c) back_sums_channel(s, x, dy, mean, invstd, sums, c);
}
}  // namespace ref

#define DPT_BN(T)                                                                                                \
  template void bn_sums<T>(const BnShape&, const T*, double*);                                                   \
  template void bn_normalize<T>(const BnShape&, const T*, const double*, const double*, const T*, const T*, T*); \
  template void bn_backward_sums<T>(const BnShape&, const T*, const T*, const double*, const double*, double*);  \
  template void bn_backward_dx<T>(const BnShape&, const T*, const T*, const double*, const double*, const T*,    \
                                  const double*, double, T*);                                                    \
  template void ref::bn_sums<T>(const BnShape&, const T*, double*);                                              \
  template void ref::bn_backward_sums<T>(const BnShape&, const T*, const T*, const double*, const double*, double*);
DPT_BN(float)
DPT_BN(double)
#undef DPT_BN

}  // namespace dpt::kern
