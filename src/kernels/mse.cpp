#include "kernels/mse.hpp"
#include "kernels/scratch.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace dpt::kern {

namespace {
// One row: its mean squared and mean absolute error; writes the row's gradient when dp is set.
template <class T>
void row_mse(const T* p, const float* y, int64_t C, T grad_scale, T* dp, double* sq, double* ab) {
  double s = 0, a = 0;
  const double g = 2.0 * static_cast<double>(grad_scale) / static_cast<double>(C);
  for (int64_t j = 0; j < C; ++j) {
    const double d = static_cast<double>(p[j]) - static_cast<double>(y[j]);
    s += d * d, a += std::abs(d);
    if (dp) dp[j] = static_cast<T>(g * d);
  }
  *sq = s / static_cast<double>(C), *ab = a / static_cast<double>(C);
}
}  // namespace

template <class T>
MseResult mse(const T* pred, const float* target, int64_t B, int64_t C, T grad_scale, T* dpred) {
  double* const r = caller_scratch<double>(static_cast<size_t>(2 * B));  // per-row results
  const int64_t grain = std::max<int64_t>(64, 16384 / std::max<int64_t>(C, 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, B, grain), [&](const tbb::blocked_range<int64_t>& rg) {
    for (int64_t i = rg.begin(); i < rg.end(); ++i)
      row_mse(pred + i * C, target + i * C, C, grad_scale, dpred ? dpred + i * C : nullptr, r + 2 * i, r + 2 * i + 1);
  });
  MseResult res;
  for (int64_t i = 0; i < B; ++i) res.loss_sum += r[2 * i], res.abs_sum += r[2 * i + 1];
  return res;
}

namespace ref {
template <class T>
MseResult mse(const T* pred, const float* target, int64_t B, int64_t C, T grad_scale, T* dpred) {
  MseResult res;
  for (int64_t i = 0; i < B; ++i) {
    double s = 0, a = 0;
    const double g = 2.0 * static_cast<double>(grad_scale) / static_cast<double>(C);
    for (int64_t j = 0; j < C; ++j) {
      const double d = static_cast<double>(pred[i * C + j]) - target[i * C + j];
      s += d * d, a += std::fabs(d);
      if (dpred) dpred[i * C + j] = static_cast<T>(g * d);
    }
    res.loss_sum += s / static_cast<double>(C), res.abs_sum += a / static_cast<double>(C);
  }
  return res;
}
}  // namespace ref

template MseResult mse<float>(const float*, const float*, int64_t, int64_t, float, float*);
template MseResult mse<double>(const double*, const float*, int64_t, int64_t, double, double*);
template MseResult ref::mse<float>(const float*, const float*, int64_t, int64_t, float, float*);
template MseResult ref::mse<double>(const double*, const float*, int64_t, int64_t, double, double*);

}  // namespace dpt::kern
