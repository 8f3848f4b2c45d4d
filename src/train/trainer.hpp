// Data-parallel training: every rank holds the whole model, trains on its slice of each global
// batch, all-reduces the gradients (already divided by the global batch, so the sum is the mean)
// and applies the same optimizer step. Rank 0 initializes the parameters and broadcasts them.
// Checkpoints are written by all ranks together; a run resumes exactly where it stopped, also on
// another number of ranks.
#pragma once
#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "core/config.hpp"
#include "train/evaluator.hpp"

namespace dpt {

struct TrainOptions {
  std::string out_dir;     // run directory; "" = write nothing (tests, benchmarks)
  bool overwrite = false;  // allow an out_dir that already holds a run
  bool quiet = false;      // no progress display
  std::string resume;      // "" = fresh run; "auto" = newest valid checkpoint in out_dir; else a path
};

struct TrainOutcome {
  EvalResult val, test;       // of the final model (the best one with early stopping)
  double train_loss = 0;      // mean over the last epoch's samples
  int64_t steps = 0, epochs = 0, best_epoch = 0;
  double seconds = 0;
  std::string stop_reason;    // "epochs", "max_steps", "early_stopping", "signal", "already_finished" (--resume of an ended run)
  std::vector<float> params;  // final parameters (identical on every rank)
  std::vector<float> buffers;  // final batchnorm running statistics (identical on every rank)
};

TrainOutcome train(const Config& cfg, const Comm& comm, const TrainOptions& opts);

}  // namespace dpt
