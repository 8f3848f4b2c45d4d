#include "kernels/add.hpp"

#include "kernels/for_range.hpp"

namespace dpt::kern {

namespace {
constexpr int64_t kGrain = 32768;  // elements per task: a memory-bound loop needs big pieces
}  // namespace

template <class T>
void add(const T* x, const T* y, T* z, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) z[i] = x[i] + y[i];
  });
}

template <class T>
void add_to(const T* x, T* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] += x[i];
  });
}

namespace ref {
template <class T>
void add(const T* x, const T* y, T* z, int64_t n) {
  for (int64_t i = 0; i < n; ++i) z[i] = x[i] + y[i];
}
template <class T>
void add_to(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}
}  // namespace ref

}  // namespace dpt::kern

#define DPT_INSTANTIATE(NS, T)                               \
  template void NS::add<T>(const T*, const T*, T*, int64_t); \
  template void NS::add_to<T>(const T*, T*, int64_t);
DPT_INSTANTIATE(dpt::kern, float)
DPT_INSTANTIATE(dpt::kern, double)
DPT_INSTANTIATE(dpt::kern::ref, float)
DPT_INSTANTIATE(dpt::kern::ref, double)
#undef DPT_INSTANTIATE
