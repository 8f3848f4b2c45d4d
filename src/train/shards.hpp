// optimizer.shard (ZeRO stage 1): each rank's optimizer owns the update and the state of one
// contiguous range of the flat parameter buffer; after the update the ranks gather the parameters.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "comm/comm.hpp"
#include "optim/optimizer.hpp"
#include "train/train_config.hpp"

namespace dpt {

// The ranges [begin, end) of n parameters that ranks 0..ranks-1 own, in rank order, tiling [0, n):
// whole blocks of kern::kSquaresBlock floats (block_range over the blocks), so that no block of
// the gradient norm's sums (kern::square_blocks) straddles two ranks and the sharded norm has the
// unsharded bits. A rank may own nothing when n has fewer blocks than there are ranks.
std::vector<std::pair<int64_t, int64_t>> param_shards(int64_t n, int ranks);

// The run's optimizer for n parameters: with optimizer.shard on more than one rank it owns this
// rank's range of param_shards(n, ranks), else all of them.
std::unique_ptr<Optimizer> make_run_optimizer(const TrainSettings& s, int64_t n, const Comm& comm);

}  // namespace dpt
