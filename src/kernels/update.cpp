#include "kernels/update.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cmath>

#include "core/error.hpp"

namespace dpt::kern {

namespace {

constexpr int64_t kGrain = 32768;

inline void sgd_span(float* __restrict p, const float* __restrict dp, float* __restrict v, int64_t a, int64_t b,
                     const SgdArgs& s) {
  // Arguments copied to locals: the compiler cannot prove the stores to p and v leave `s` alone,
  // and would otherwise reload it every iteration instead of vectorizing.
  const float lr = s.lr, mom = s.momentum, wd = s.weight_decay;
  if (mom == 0.0f) {
    for (int64_t i = a; i < b; ++i) p[i] -= lr * (dp[i] + wd * p[i]);
    return;
  }
  if (s.nesterov) {
    for (int64_t i = a; i < b; ++i) {
      const float g = dp[i] + wd * p[i];
      const float vi = mom * v[i] + g;
      v[i] = vi;
      p[i] -= lr * (g + mom * vi);
    }
    return;
  }
  for (int64_t i = a; i < b; ++i) {
    const float g = dp[i] + wd * p[i];
    const float vi = mom * v[i] + g;
    v[i] = vi;
    p[i] -= lr * vi;
  }
}

// The float factors of one Adam(W) step, derived once per step (shared by the kernel and its twin).
struct AdamCoef {
  float b1, c1, b2, c2;  // beta1, 1 - beta1, beta2, 1 - beta2
  float step_size;       // lr / (1 - beta1^t)
  float bc2_sqrt;        // sqrt(1 - beta2^t)
  float eps;
  float wd;     // L2 weight decay added to the gradient (Adam; 0 for AdamW)
  float decay;  // parameter factor applied first (AdamW: 1 - lr * wd; Adam: 1)
};

AdamCoef adam_coef(const AdamArgs& a, bool decoupled) {
  if (a.step < 1) fail("adam_update: step = {}, must be >= 1 (the count includes this update)", a.step);
  const double t = static_cast<double>(a.step);
  const double bc1 = 1.0 - std::pow(a.beta1, t), bc2 = 1.0 - std::pow(a.beta2, t);
  return {static_cast<float>(a.beta1),
          static_cast<float>(1.0 - a.beta1),
          static_cast<float>(a.beta2),
          static_cast<float>(1.0 - a.beta2),
          static_cast<float>(a.lr / bc1),
          static_cast<float>(std::sqrt(bc2)),
          static_cast<float>(a.eps),
          decoupled ? 0.0f : static_cast<float>(a.weight_decay),
          decoupled ? static_cast<float>(1.0 - a.lr * a.weight_decay) : 1.0f};
}

inline void adam_span(float* p, const float* dp, float* m, float* v, int64_t a, int64_t b, const AdamCoef& c) {
  for (int64_t i = a; i < b; ++i) {
    const float pi = p[i] * c.decay;
    const float g = dp[i] + c.wd * pi;
    const float mi = m[i] * c.b1 + c.c1 * g;
    const float vi = v[i] * c.b2 + c.c2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - c.step_size * mi / (std::sqrt(vi) / c.bc2_sqrt + c.eps);
  }
}

void adam_parallel(float* p, const float* dp, float* m, float* v, int64_t n, const AdamCoef& c) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, kGrain),
                    [&](const tbb::blocked_range<int64_t>& r) { adam_span(p, dp, m, v, r.begin(), r.end(), c); });
}

}  // namespace

void sgd_update(float* p, const float* dp, float* v, int64_t n, const SgdArgs& a) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, kGrain),
                    [&](const tbb::blocked_range<int64_t>& r) { sgd_span(p, dp, v, r.begin(), r.end(), a); });
}

void adam_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a) {
  adam_parallel(p, dp, m, v, n, adam_coef(a, false));
}

void adamw_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a) {
  adam_parallel(p, dp, m, v, n, adam_coef(a, true));
}

namespace ref {

void sgd_update(float* p, const float* dp, float* v, int64_t n, const SgdArgs& a) {
  for (int64_t i = 0; i < n; ++i) {
    float g = dp[i] + a.weight_decay * p[i];
    if (a.momentum != 0.0f) {
      v[i] = a.momentum * v[i] + g;
      g = a.nesterov ? g + a.momentum * v[i] : v[i];
    }
    p[i] = p[i] - a.lr * g;
  }
}

namespace {
// One plain loop over the whole buffer; decoupled selects AdamW.
void adam_loop(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a, bool decoupled) {
  const AdamCoef c = adam_coef(a, decoupled);
  for (int64_t i = 0; i < n; ++i) {
    if (decoupled) p[i] = p[i] * c.decay;
    const float g = decoupled ? dp[i] : dp[i] + c.wd * p[i];
    m[i] = m[i] * c.b1 + c.c1 * g;
    v[i] = v[i] * c.b2 + c.c2 * g * g;
    const float denom = std::sqrt(v[i]) / c.bc2_sqrt + c.eps;
    p[i] = p[i] - c.step_size * m[i] / denom;
  }
}
}  // namespace

void adam_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a) {
  adam_loop(p, dp, m, v, n, a, false);
}

void adamw_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a) {
  adam_loop(p, dp, m, v, n, a, true);
}

}  // namespace ref

}  // namespace dpt::kern
