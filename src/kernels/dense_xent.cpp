#include "kernels/dense_xent.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/for_range.hpp"
#include "kernels/scratch.hpp"

namespace dpt::kern {

namespace {
constexpr int64_t kW = 64;  // positions handled together (the channel loop runs over them)

// Max and arg-max over the channels of positions [s0, s0 + w) of one sample: z (K, S).
template <class T>
void channel_max(const T* z, int64_t K, int64_t S, int64_t s0, int64_t w, T* mx, int32_t* arg) {
  for (int64_t j = 0; j < w; ++j) mx[j] = z[s0 + j], arg[j] = 0;
  for (int64_t k = 1; k < K; ++k) {
    const T* row = z + k * S + s0;
    for (int64_t j = 0; j < w; ++j)
      if (row[j] > mx[j]) mx[j] = row[j], arg[j] = static_cast<int32_t>(k);
  }
}

// log-sum-exp over the channels at positions [s0, s0 + w), given their maxima.
template <class T>
void channel_lse(const T* z, int64_t K, int64_t S, int64_t s0, int64_t w, const T* mx, double* lse) {
  for (int64_t j = 0; j < w; ++j) lse[j] = 0;
  for (int64_t k = 0; k < K; ++k) {
    const T* row = z + k * S + s0;
    for (int64_t j = 0; j < w; ++j) lse[j] += std::exp(static_cast<double>(row[j] - mx[j]));
  }
  for (int64_t j = 0; j < w; ++j) lse[j] = std::log(lse[j]) + static_cast<double>(mx[j]);
}

struct SampleXent {
  double loss = 0;  // sum over scored positions (not yet divided by S)
  int64_t correct = 0, counted = 0;
};

template <class T>
SampleXent sample_xent(const T* z, const int32_t* y, int64_t K, int64_t S, bool has_ig, int64_t ig, double g, T* dz) {
  SampleXent r;
  T mx[kW];
  int32_t arg[kW];
  double lse[kW];
  for (int64_t s0 = 0; s0 < S; s0 += kW) {
    const int64_t w = std::min(kW, S - s0);
    channel_max(z, K, S, s0, w, mx, arg);
    channel_lse(z, K, S, s0, w, mx, lse);
    for (int64_t j = 0; j < w; ++j) {
      const int32_t label = y[s0 + j];
      if (has_ig && label == ig) continue;
      r.loss += lse[j] - static_cast<double>(z[label * S + s0 + j]);
      r.correct += arg[j] == label, ++r.counted;
    }
    if (!dz) continue;
    for (int64_t k = 0; k < K; ++k) {
      const T* row = z + k * S + s0;
      T* drow = dz + k * S + s0;
      for (int64_t j = 0; j < w; ++j) {
        const int32_t label = y[s0 + j];
        const double p = std::exp(static_cast<double>(row[j]) - lse[j]);
        drow[j] = has_ig && label == ig ? T(0) : static_cast<T>((p - (label == k ? 1.0 : 0.0)) * g);
      }
    }
  }
  return r;
}
}  // namespace

template <class T>
XentResult softmax_xent_dense(const T* z, const int32_t* labels, int64_t B, int64_t K, int64_t S, bool has_ignore,
                              int64_t ignore, T grad_scale, T* dz) {
  SampleXent* const per = caller_scratch<SampleXent>(static_cast<size_t>(B));
  const double g = static_cast<double>(grad_scale) / static_cast<double>(S);
  for_range(B, 1, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i)
      per[i] = sample_xent(z + i * K * S, labels + i * S, K, S, has_ignore, ignore, g, dz ? dz + i * K * S : nullptr);
  });
  XentResult res;
  for (int64_t i = 0; i < B; ++i)
    res.loss_sum += per[i].loss / static_cast<double>(S), res.correct += per[i].correct, res.counted += per[i].counted;
  return res;
}

template <class T>
void softmax_channels(const T* z, int64_t B, int64_t K, int64_t S, T* p, int32_t* arg) {
  for_range(B, 1, [&](int64_t a, int64_t b) {
    T mx[kW];
    double lse[kW];
    for (int64_t i = a; i < b; ++i) {
      const T* zi = z + i * K * S;
      for (int64_t s0 = 0; s0 < S; s0 += kW) {
        const int64_t w = std::min(kW, S - s0);
        channel_max(zi, K, S, s0, w, mx, arg + i * S + s0);
        if (!p) continue;
        channel_lse(zi, K, S, s0, w, mx, lse);
        for (int64_t k = 0; k < K; ++k)
          for (int64_t j = 0; j < w; ++j)
            p[i * K * S + k * S + s0 + j] = static_cast<T>(std::exp(static_cast<double>(zi[k * S + s0 + j]) - lse[j]));
      }
    }
  });
}

namespace ref {
template <class T>
XentResult softmax_xent_dense(const T* z, const int32_t* labels, int64_t B, int64_t K, int64_t S, bool has_ignore,
                              int64_t ignore, T grad_scale, T* dz) {
  XentResult res;
  for (int64_t i = 0; i < B; ++i) {
    double sample = 0;
    for (int64_t s = 0; s < S; ++s) {
      const T* at = z + i * K * S + s;  // channel k at at[k * S]
      const int32_t y = labels[i * S + s];
      const bool skip = has_ignore && y == ignore;
      double mx = at[0], sum = 0;
      int64_t arg = 0;
      for (int64_t k = 1; k < K; ++k)
        if (at[k * S] > mx) mx = at[k * S], arg = k;
      for (int64_t k = 0; k < K; ++k) sum += std::exp(at[k * S] - mx);
      for (int64_t k = 0; dz && k < K; ++k)
        dz[i * K * S + k * S + s] =
            skip ? T(0) : static_cast<T>((std::exp(at[k * S] - mx) / sum - (k == y)) * grad_scale / double(S));
      if (skip) continue;
      sample += std::log(sum) + mx - at[y * S];
      res.correct += arg == y, ++res.counted;
    }
    res.loss_sum += sample / static_cast<double>(S);
  }
  return res;
}

template <class T>
void softmax_channels(const T* z, int64_t B, int64_t K, int64_t S, T* p, int32_t* arg) {
  for (int64_t i = 0; i < B; ++i)
    for (int64_t s = 0; s < S; ++s) {
      const T* at = z + i * K * S + s;
      double mx = at[0], sum = 0;
      int32_t best = 0;
      for (int64_t k = 1; k < K; ++k)
        if (at[k * S] > mx) mx = at[k * S], best = static_cast<int32_t>(k);
      arg[i * S + s] = best;
      for (int64_t k = 0; k < K; ++k) sum += std::exp(at[k * S] - mx);
      for (int64_t k = 0; p && k < K; ++k) p[i * K * S + k * S + s] = static_cast<T>(std::exp(at[k * S] - mx) / sum);
    }
}
}  // namespace ref

#define DPT_DENSE_XENT(T)                                                                                            \
  template XentResult softmax_xent_dense<T>(const T*, const int32_t*, int64_t, int64_t, int64_t, bool, int64_t, T,   \
                                            T*);                                                                     \
  template void softmax_channels<T>(const T*, int64_t, int64_t, int64_t, T*, int32_t*);                              \
  template XentResult ref::softmax_xent_dense<T>(const T*, const int32_t*, int64_t, int64_t, int64_t, bool, int64_t, \
                                                 T, T*);                                                             \
  template void ref::softmax_channels<T>(const T*, int64_t, int64_t, int64_t, T*, int32_t*);
DPT_DENSE_XENT(float)
DPT_DENSE_XENT(double)
#undef DPT_DENSE_XENT

}  // namespace dpt::kern
