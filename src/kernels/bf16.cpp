#include "kernels/bf16.hpp"

#include "core/bf16.hpp"
#include "kernels/for_range.hpp"

namespace dpt::kern {

namespace {
constexpr int64_t kGrain = 1 << 15;  // elements per task
}  // namespace

void to_bf16(const float* x, uint16_t* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t lo, int64_t hi) { ref::to_bf16(x + lo, y + lo, hi - lo); });
}

void from_bf16(const uint16_t* x, float* y, int64_t n) {
  for_range(n, kGrain, [&](int64_t lo, int64_t hi) { ref::from_bf16(x + lo, y + lo, hi - lo); });
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
