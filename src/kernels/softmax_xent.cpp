#include "kernels/softmax_xent.hpp"
#include "kernels/scratch.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace dpt::kern {

namespace {
// One row: returns the row loss, writes the row gradient, sets *hit when arg-max == label.
template <class T>
double row_xent(const T* z, int32_t label, int64_t C, T grad_scale, T* dz, bool* hit) {
  int64_t arg = 0;
  T mx = z[0];
  for (int64_t j = 1; j < C; ++j)
    if (z[j] > mx) mx = z[j], arg = j;
  double sum = 0;
  for (int64_t j = 0; j < C; ++j) sum += std::exp(static_cast<double>(z[j] - mx));
  const double lse = std::log(sum) + static_cast<double>(mx);
  if (dz) {
    for (int64_t j = 0; j < C; ++j) {
      const double p = std::exp(static_cast<double>(z[j]) - lse);
      dz[j] = static_cast<T>((p - (j == label ? 1.0 : 0.0)) * static_cast<double>(grad_scale));
    }
  }
  *hit = arg == label;
  return lse - static_cast<double>(z[label]);
}
}  // namespace

template <class T>
XentResult softmax_xent(const T* z, const int32_t* labels, int64_t B, int64_t C, T grad_scale, T* dz) {
  double* const row_loss = caller_scratch<double>(static_cast<size_t>(B));  // per-row results
  char* const row_hit = caller_scratch<char>(static_cast<size_t>(B));
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(C, 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, B, grain), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t i = r.begin(); i < r.end(); ++i) {
      bool h = false;
      row_loss[i] = row_xent(z + i * C, labels[i], C, grad_scale, dz ? dz + i * C : nullptr, &h);
      row_hit[i] = h;
    }
  });
  XentResult res;
  for (int64_t i = 0; i < B; ++i) res.loss_sum += row_loss[i], res.correct += row_hit[i];
  res.counted = B;
  return res;
}

namespace ref {
template <class T>
XentResult softmax_xent(const T* z, const int32_t* labels, int64_t B, int64_t C, T grad_scale, T* dz) {
  XentResult res;
  for (int64_t i = 0; i < B; ++i) {
    const T* row = z + i * C;
    double mx = row[0];
    int64_t arg = 0;
    for (int64_t j = 1; j < C; ++j)
      if (row[j] > mx) mx = row[j], arg = j;
    double sum = 0;
    for (int64_t j = 0; j < C; ++j) sum += std::exp(row[j] - mx);
    for (int64_t j = 0; dz && j < C; ++j)
      dz[i * C + j] = static_cast<T>((std::exp(row[j] - mx) / sum - (j == labels[i])) * grad_scale);
    res.loss_sum += std::log(sum) + mx - row[labels[i]];
    res.correct += arg == labels[i];
  }
  res.counted = B;
  return res;
}
}  // namespace ref

template XentResult softmax_xent<float>(const float*, const int32_t*, int64_t, int64_t, float, float*);
template XentResult softmax_xent<double>(const double*, const int32_t*, int64_t, int64_t, double, double*);
template XentResult ref::softmax_xent<float>(const float*, const int32_t*, int64_t, int64_t, float, float*);
template XentResult ref::softmax_xent<double>(const double*, const int32_t*, int64_t, int64_t, double, double*);

}  // namespace dpt::kern
