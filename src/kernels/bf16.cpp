#include "kernels/bf16.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/bf16.hpp"

namespace dpt::kern {

namespace {
constexpr int64_t kGrain = 1 << 15;  // elements per task

template <class F>
void blocks(int64_t n, F&& f) {
  if (n <= kGrain) return f(int64_t{0}, n);
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, kGrain),
                    [&](const tbb::blocked_range<int64_t>& r) { f(r.begin(), r.end()); });
}
}  // namespace

void to_bf16(const float* x, uint16_t* y, int64_t n) {
  blocks(n, [&](int64_t lo, int64_t hi) { ref::to_bf16(x + lo, y + lo, hi - lo); });
}

void from_bf16(const uint16_t* x, float* y, int64_t n) {
  blocks(n, [&](int64_t lo, int64_t hi) { ref::from_bf16(x + lo, y + lo, hi - lo); });
}

namespace ref {
void to_bf16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = float_to_bf16(x[i]);
}
void from_bf16(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_float(x[i]);
}
}  // namespace ref

}  // namespace dpt::kern
