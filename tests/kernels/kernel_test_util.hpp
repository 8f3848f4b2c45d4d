// Helpers shared by the kernel suites: seeded random buffers and bitwise comparison.
#pragma once
#include <cstring>
#include <vector>

#include "core/rng.hpp"

namespace dpt::test {

// n values uniform in [lo, hi), reproducible from seed.
template <class T>
std::vector<T> random_vector(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Rng rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace dpt::test
