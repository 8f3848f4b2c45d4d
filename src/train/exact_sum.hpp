// Rank-count independent sums for train.deterministic. Each global batch is cut into S fixed
// micro-shards; rank r of P computes micro-shards [S r / P, S (r + 1) / P) one after the other,
// and after each one hands its float arrays (the gradients, the batchnorm statistics) to add().
// reduce() then sums every micro-shard of every rank exactly (kern::fixed_point: int32 block
// fixed point, scales from the block maxima over all micro-shards), so the result depends only
// on the micro-shards' values, never on which rank computed them or on the summation order.
// Cost per step: one max all-reduce of n / 256 doubles, one int32 all-reduce of n (the same bytes
// as a float all-reduce), three passes over the arrays and a copy per extra micro-shard.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "comm/comm.hpp"

namespace dpt {

class ExactSum {
 public:
  // sizes: elements of each array summed; slots: the most micro-shards one rank adds per step;
  // terms: micro-shards per step over all ranks (S).
  ExactSum(std::vector<int64_t> sizes, int64_t slots, int64_t terms);
  void clear() { used_ = 0; }
  // Keeps this micro-shard's values: arrays[k] holds sizes[k] floats (copied when slots > 1; with
  // one slot the arrays must stay unchanged until reduce()).
  void add(std::initializer_list<const float*> arrays);
  // Writes into `out` the sums over the micro-shards of every rank (collective). Returns false,
  // leaving `out` untouched, when a value is NaN or infinite on some rank (every rank agrees).
  bool reduce(const Comm& comm, std::initializer_list<float*> out);

 private:
  std::vector<int64_t> sizes_, offsets_, block_offsets_;  // per array: element and block offsets
  int64_t total_ = 0, blocks_ = 0, slots_, terms_, used_ = 0;
  std::vector<float> slots_data_;        // (slots, total) when slots > 1
  std::vector<const float*> slot_ptrs_;  // (slots, arrays): where each added array is
  const float* slot(int64_t j, size_t k) const { return slot_ptrs_[static_cast<size_t>(j) * sizes_.size() + k]; }
  std::vector<float> bmax_;       // (blocks)
  std::vector<double> bmax_all_;  // (blocks), for the all-reduce
  std::vector<int32_t> exps_, fixed_;
};

}  // namespace dpt
