#include "input/sampler.hpp"

#include <algorithm>
#include <cstddef>
#include <numeric>

#include "core/rng.hpp"

namespace dpt {

Sampler::Sampler(int64_t n, int64_t global_batch, uint64_t seed, bool shuffle)
    : n_(n), batch_(global_batch), seed_(seed), shuffle_(shuffle) {}

std::vector<int64_t> Sampler::permutation(int64_t epoch) const {
  if (!shuffle_) {
    std::vector<int64_t> p(static_cast<std::size_t>(n_));
    std::iota(p.begin(), p.end(), int64_t{0});
    return p;
  }
  Rng rng(derive_seed(seed_, 0x5a3b1e, static_cast<uint64_t>(epoch)));
  return random_permutation(n_, rng);
}

EpochPlan step_plan(int64_t n, int64_t batch, int rank, int ranks) {
  EpochPlan p;
  p.step_begin.push_back(0);
  for (int64_t lo = 0; lo < n; lo += batch) {
    const int64_t len = std::min(batch, n - lo);
    const auto [a, b] = block_range(len, rank, ranks);
    p.step_begin.push_back(p.step_begin.back() + b - a);
    p.global_size.push_back(len);
  }
  return p;
}

EpochPlan Sampler::plan(int64_t epoch, int rank, int ranks) const {
  const auto perm = permutation(epoch);
  EpochPlan p = step_plan(n_, batch_, rank, ranks);
  for (int64_t st = 0; st < p.steps(); ++st) {
    const int64_t lo = st * batch_, a = block_range(p.global_size[st], rank, ranks).first;
    p.indices.insert(p.indices.end(), perm.begin() + lo + a, perm.begin() + lo + a + p.local_size(st));
  }
  return p;
}

}  // namespace dpt
