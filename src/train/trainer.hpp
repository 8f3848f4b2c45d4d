// Data-parallel training: every rank holds the whole model, trains on its slice of each global
// batch, all-reduces the gradients (already divided by the global batch, so the sum is the mean)
// and applies the same optimizer step. Rank 0 initializes the parameters and broadcasts them.
#pragma once
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "core/config.hpp"
#include "train/evaluator.hpp"

namespace dpt {

struct TrainOptions {
  std::string out_dir;     // run directory (rank 0 writes config.yaml, metrics.jsonl, model.h5); "" = none
  bool overwrite = false;  // allow an out_dir that already holds a run
  bool quiet = false;      // no progress display
};

struct TrainOutcome {
  EvalResult test;            // after the last epoch (samples == 0 without a test split)
  double train_loss = 0;      // mean over the last epoch's samples
  int64_t steps = 0, epochs = 0;
  double seconds = 0;
  std::vector<float> params;  // final parameters (identical on every rank)
};

TrainOutcome train(const Config& cfg, const Comm& comm, const TrainOptions& opts);

}  // namespace dpt
