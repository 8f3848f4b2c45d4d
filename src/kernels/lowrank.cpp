#include "kernels/lowrank.hpp"

#include <cmath>

#include "core/rng.hpp"

namespace dpt::kern {

namespace {
constexpr double kDependent = 1e-4;  // a column keeping less of its norm than this is dependent
}  // namespace

void orthonormalize_columns(float* P, int64_t n, int64_t r, double* col) {
  for (int64_t j = 0; j < r; ++j) {
    double sq0 = 0;
    for (int64_t i = 0; i < n; ++i) col[i] = P[i * r + j], sq0 += static_cast<double>(P[i * r + j]) * P[i * r + j];
    for (int64_t k = 0; k < j; ++k) {  // minus the projection on (finished) column k
      double dot = 0;
      for (int64_t i = 0; i < n; ++i) dot += col[i] * P[i * r + k];
      for (int64_t i = 0; i < n; ++i) col[i] -= dot * P[i * r + k];
    }
    double sq = 0;
    for (int64_t i = 0; i < n; ++i) sq += col[i] * col[i];
    const double norm = std::sqrt(sq);
    // NaN/inf stay (the caller's non-finite check must see them). What is left of a column that
    // (nearly) lies in the span of the ones before is float rounding, not a direction: it becomes 0.
    const double inv = !std::isfinite(norm) ? norm : norm > kDependent * std::sqrt(sq0) ? 1.0 / norm : 0.0;
    for (int64_t i = 0; i < n; ++i) P[i * r + j] = static_cast<float>(col[i] * inv);
  }
}

void fill_normal(float* a, int64_t n, uint64_t seed) {
  Rng rng(seed);
  constexpr double kTwoPi = 6.283185307179586;
  for (int64_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - rng.uniform01(), u2 = rng.uniform01();  // u1 in (0, 1]
    const double rad = std::sqrt(-2.0 * std::log(u1));
    a[i] = static_cast<float>(rad * std::cos(kTwoPi * u2));
    if (i + 1 < n) a[i + 1] = static_cast<float>(rad * std::sin(kTwoPi * u2));
  }
}

}  // namespace dpt::kern
