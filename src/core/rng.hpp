// Portable random numbers: the same seed gives the same sequence on every compiler and platform
// (std::uniform_*_distribution and std::shuffle are implementation-defined, so they are not used).
#pragma once
#include <cstdint>
#include <vector>

namespace dpt {

// SplitMix64 step: a strong 64-bit mixer, used to derive independent seeds.
uint64_t splitmix64(uint64_t& state);
// A seed derived from (seed, a, b): e.g. (run seed, epoch) for the epoch permutation.
uint64_t derive_seed(uint64_t seed, uint64_t a, uint64_t b = 0);

// xoshiro256** generator.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  uint64_t below(uint64_t n);  // uniform in [0, n), unbiased (Lemire's method); n > 0
  double uniform01();          // uniform in [0, 1), 53 random bits
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }

 private:
  uint64_t s_[4];
};

// Fisher-Yates permutation of 0..n-1 drawn from rng.
std::vector<int64_t> random_permutation(int64_t n, Rng& rng);

}  // namespace dpt
