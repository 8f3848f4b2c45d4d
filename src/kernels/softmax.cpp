#include "kernels/softmax.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace dpt::kern {

namespace {
template <class T>
int32_t row_argmax(const T* z, int64_t C) {
  int64_t arg = 0;
  for (int64_t j = 1; j < C; ++j)
    if (z[j] > z[arg]) arg = j;
  return static_cast<int32_t>(arg);
}

// One row, accumulated in double so float rows sum to 1 within a few ulp.
template <class T>
void row_softmax(const T* z, int64_t C, T* p) {
  const double mx = static_cast<double>(z[row_argmax(z, C)]);
  double sum = 0;
  for (int64_t j = 0; j < C; ++j) sum += std::exp(static_cast<double>(z[j]) - mx);
  const double inv = 1.0 / sum;
  for (int64_t j = 0; j < C; ++j) p[j] = static_cast<T>(std::exp(static_cast<double>(z[j]) - mx) * inv);
}

template <class F>
void for_rows(int64_t B, int64_t C, F&& f) {
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(C, 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, B, grain), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t i = r.begin(); i < r.end(); ++i) f(i);
  });
}
}  // namespace

template <class T>
void softmax_rows(const T* z, int64_t B, int64_t C, T* p, int32_t* arg) {
  if (C <= 0) return;
  for_rows(B, C, [&](int64_t i) {
    if (arg) arg[i] = row_argmax(z + i * C, C);  // before p overwrites an aliased z
    row_softmax(z + i * C, C, p + i * C);
  });
}

template <class T>
void argmax_rows(const T* z, int64_t B, int64_t C, int32_t* arg) {
  if (C <= 0) return;
  for_rows(B, C, [&](int64_t i) { arg[i] = row_argmax(z + i * C, C); });
}

namespace ref {
template <class T>
void softmax_rows(const T* z, int64_t B, int64_t C, T* p, int32_t* arg) {
  for (int64_t i = 0; i < B; ++i) {
    const T* row = z + i * C;
    int32_t a = 0;
    for (int64_t j = 1; j < C; ++j)
      if (row[j] > row[a]) a = static_cast<int32_t>(j);
    if (arg) arg[i] = a;
    const double mx = row[a];
    double sum = 0;
    for (int64_t j = 0; j < C; ++j) sum += std::exp(row[j] - mx);
    for (int64_t j = 0; j < C; ++j) p[i * C + j] = static_cast<T>(std::exp(row[j] - mx) / sum);
  }
}

template <class T>
void argmax_rows(const T* z, int64_t B, int64_t C, int32_t* arg) {
  for (int64_t i = 0; i < B; ++i)
    arg[i] = static_cast<int32_t>(std::max_element(z + i * C, z + (i + 1) * C) - (z + i * C));
}
}  // namespace ref

template void softmax_rows<float>(const float*, int64_t, int64_t, float*, int32_t*);
template void softmax_rows<double>(const double*, int64_t, int64_t, double*, int32_t*);
template void argmax_rows<float>(const float*, int64_t, int64_t, int32_t*);
template void argmax_rows<double>(const double*, int64_t, int64_t, int32_t*);
template void ref::softmax_rows<float>(const float*, int64_t, int64_t, float*, int32_t*);
template void ref::softmax_rows<double>(const double*, int64_t, int64_t, double*, int32_t*);
template void ref::argmax_rows<float>(const float*, int64_t, int64_t, int32_t*);
template void ref::argmax_rows<double>(const double*, int64_t, int64_t, int32_t*);

}  // namespace dpt::kern
