#include "kernels/update.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace dpt::kern {

namespace {
inline void sgd_span(float* p, const float* dp, float* v, int64_t a, int64_t b, const SgdArgs& s) {
  if (s.momentum == 0.0f) {
    for (int64_t i = a; i < b; ++i) p[i] -= s.lr * (dp[i] + s.weight_decay * p[i]);
    return;
  }
  for (int64_t i = a; i < b; ++i) {
    const float g = dp[i] + s.weight_decay * p[i];
    const float vi = s.momentum * v[i] + g;
    v[i] = vi;
    p[i] -= s.lr * (s.nesterov ? g + s.momentum * vi : vi);
  }
}
}  // namespace

void sgd_update(float* p, const float* dp, float* v, int64_t n, const SgdArgs& a) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, 32768),
                    [&](const tbb::blocked_range<int64_t>& r) { sgd_span(p, dp, v, r.begin(), r.end(), a); });
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
}  // namespace ref

}  // namespace dpt::kern
