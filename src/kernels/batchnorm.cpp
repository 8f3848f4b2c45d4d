#include "kernels/batchnorm.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <utility>

namespace dpt::kern {

namespace {
template <class F>
void channels(int64_t C, F&& f) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, C, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t c = r.begin(); c < r.end(); ++c) f(c);
  });
}

// Per-channel sums of two terms over (b, m) in kLanes independent partial sums, combined pairwise
// at the end: element m of a row goes to lane m % kLanes (rows shorter than kLanes: the whole row
// to lane b % kLanes), a grouping fixed by the shape. One running double sum (the ref:: twins) is
// bound by the add's latency: these passes took 12 % of a ResNet step that way.
constexpr int64_t kLanes = 8;

template <class F>
void lane_sums(const BnShape& s, int64_t c, F&& terms, double* sums) {
  double a[kLanes] = {}, q[kLanes] = {};
  const auto add = [&](int64_t l, int64_t i) {
    const auto [ta, tq] = terms(i);
    a[l] += ta, q[l] += tq;
  };
  for (int64_t b = 0; b < s.B; ++b) {
    const int64_t o = (b * s.C + c) * s.M;
    if (s.M < kLanes) {
      for (int64_t m = 0; m < s.M; ++m) add(b % kLanes, o + m);
      continue;
    }
    int64_t m = 0;
    for (; m + kLanes <= s.M; m += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) add(l, o + m + l);
    for (int64_t l = 0; m + l < s.M; ++l) add(l, o + m + l);
  }
  static_assert(kLanes == 8, "pairwise adds 8 lanes");
  const auto pairwise = [](const double* v) {
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  };
  sums[c] = pairwise(a), sums[s.C + c] = pairwise(q);
}

template <class T>
void sums_channel(const BnShape& s, const T* x, double* sums, int64_t c) {
  lane_sums(
      s, c,
      [x](int64_t i) {
        const double v = x[i];
        return std::pair{v, v * v};
      },
      sums);
}

template <class T>
void back_sums_channel(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
                       double* sums, int64_t c) {
  const double mu = mean[c], is = invstd[c];
  lane_sums(
      s, c,
      [&](int64_t i) {
        const double d = dy[i];
        return std::pair{d, d * (x[i] - mu) * is};
      },
      sums);
}

// The ref:: twins: one running sum per channel.
template <class T>
void sums_channel_ref(const BnShape& s, const T* x, double* sums, int64_t c) {
  double a = 0, q = 0;
  for (int64_t b = 0; b < s.B; ++b) {
    const T* p = x + (b * s.C + c) * s.M;
    for (int64_t m = 0; m < s.M; ++m) a += p[m], q += static_cast<double>(p[m]) * p[m];
  }
  sums[c] = a, sums[s.C + c] = q;
}

template <class T>
void back_sums_channel_ref(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
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
  for (int64_t c = 0; c < s.C; ++c) sums_channel_ref(s, x, sums, c);
}
template <class T>
void bn_backward_sums(const BnShape& s, const T* x, const T* dy, const double* mean, const double* invstd,
                      double* sums) {
  for (int64_t c = 0; c < s.C; ++c) back_sums_channel_ref(s, x, dy, mean, invstd, sums, c);
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
