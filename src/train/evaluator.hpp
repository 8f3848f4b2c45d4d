// Evaluation of a model on a sharded split: each rank runs its block, the sums are all-reduced.
#pragma once
#include "comm/comm.hpp"
#include "data/shard_loader.hpp"
#include "layers/loss.hpp"
#include "model/model.hpp"

namespace dpt {

struct EvalResult {
  double loss = 0;       // mean over all samples of all ranks
  double accuracy = 0;
  int64_t samples = 0;
};

// Runs forward passes over `shard` in batches of at most model.max_batch(); every rank must call it.
EvalResult evaluate(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm);

}  // namespace dpt
