// Scanning stored feature values for what float32 training cannot take.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace dpt {

// The first of n stored floating-point values that is NaN, infinite, or beyond float32's range
// (it would become infinite as float32), or -1. A branch-free pass per 1024 values (vectorizable);
// only a pass that found one looks for where.
template <class T>
int64_t first_nonfinite(const unsigned char* raw, int64_t n) {
  constexpr T kMax = std::numeric_limits<float>::max();
  T v[1024];
  for (int64_t i = 0; i < n; i += 1024) {
    const int64_t m = std::min<int64_t>(1024, n - i);
    std::memcpy(v, raw + i * static_cast<int64_t>(sizeof(T)), static_cast<size_t>(m) * sizeof(T));
    bool bad = false;
    for (int64_t k = 0; k < m; ++k) bad |= !(std::fabs(v[k]) <= kMax);
    if (!bad) continue;
    for (int64_t k = 0; k < m; ++k)
      if (!(std::fabs(v[k]) <= kMax)) return i + k;
  }
  return -1;
}

}  // namespace dpt
