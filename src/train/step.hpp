// One optimizer step of data-parallel training: this rank's slice of the global batch in
// train.grad_accumulation micro-batches (forward, loss, backward accumulating gradients), one
// all-reduce of the flat gradient buffer, the global gradient norm (identical on every rank),
// clipping, the non-finite check, and the optimizer update.
#pragma once
#include "comm/comm.hpp"
#include "data/sampler.hpp"
#include "data/shard_loader.hpp"
#include "layers/loss.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "train/train_config.hpp"

namespace dpt {

struct StepResult {
  double loss_sum = 0;  // this rank's samples
  int64_t correct = 0, samples = 0;
  double grad_norm = 0;  // global, before clipping
  bool skipped = false;  // non-finite and train.nonfinite = skip
};

class StepRunner {
 public:
  StepRunner(Model& model, const Loss<float>& loss, Optimizer& opt, const Comm& comm, const TrainSettings& s);
  // Step `st` of `plan` over `shard` (this rank's samples of the epoch); global_step counts from 0.
  StepResult run(const Shard& shard, const EpochPlan& plan, int64_t st, int64_t global_step, float lr);

 private:
  Model& model_;
  const Loss<float>& loss_;
  Optimizer& opt_;
  const Comm& comm_;
  const TrainSettings& s_;
  Buffer<float> dout_;
};

}  // namespace dpt
