// Which samples each rank sees at each step. Every epoch draws one global permutation of the N
// samples, seeded by (seed, epoch) and identical on all ranks. Step s takes the global batch
// perm[s*B, min(N, (s+1)*B)); rank r takes the r-th of P near-equal contiguous slices of it.
// All ranks run ceil(N / B) steps; the last global batch is short (N mod B samples), so every
// sample is seen exactly once per epoch; a rank whose slice is empty still joins the all-reduce.
// The split depends only on (seed, epoch, B, P), never on timing.
#pragma once
#include <cstdint>
#include <vector>
#include "core/partition.hpp"

namespace dpt {

struct EpochPlan {
  std::vector<int64_t> indices;      // this rank's global sample indices, in step order
  std::vector<int64_t> step_begin;   // steps + 1 offsets into indices
  std::vector<int64_t> global_size;  // samples in the global batch of each step
  int64_t steps() const { return static_cast<int64_t>(global_size.size()); }
  int64_t local_size(int64_t step) const { return step_begin[step + 1] - step_begin[step]; }
};

class Sampler {
 public:
  Sampler(int64_t n, int64_t global_batch, uint64_t seed, bool shuffle);
  int64_t steps_per_epoch() const { return (n_ + batch_ - 1) / batch_; }
  int64_t global_batch() const { return batch_; }
  std::vector<int64_t> permutation(int64_t epoch) const;
  EpochPlan plan(int64_t epoch, int rank, int ranks) const;

 private:
  int64_t n_, batch_;
  uint64_t seed_;
  bool shuffle_;
};

// The steps of an epoch of n samples in global batches of `batch` (the last one short), with this
// rank's offsets and no indices: what Sampler::plan fills in, and what streaming uses as is.
EpochPlan step_plan(int64_t n, int64_t batch, int rank, int ranks);

}  // namespace dpt
