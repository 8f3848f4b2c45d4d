// Data-parallel training: every rank holds the whole model, trains on its slice of each global
// batch, all-reduces the gradients (already divided by the global batch, so the sum is the mean)
// and applies the same optimizer step. Rank 0 initializes the parameters and broadcasts them.
// Checkpoints are written by all ranks together; a run resumes exactly where it stopped, also on
// another number of ranks.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "comm/comm.hpp"
#include "core/config.hpp"
#include "eval/evaluator.hpp"
#include "train/train_config.hpp"

namespace dpt {

struct TrainOptions {
  std::string out_dir;     // run directory; "" = write nothing (tests, benchmarks)
  bool overwrite = false;  // allow an out_dir that already holds a run
  bool quiet = false;      // no progress display
  std::string resume;      // "" = fresh run; "auto" = newest valid checkpoint in out_dir; else a path
  // dptrain lr-find: the lr of optimizer step k (instead of the schedule's), and after each step
  // its global mean training loss (NaN/Inf when non-finite); returning false ends the run (reason
  // max_steps). Both empty in normal training.
  std::function<float(int64_t step)> lr_at;
  std::function<bool(int64_t step, float lr, double mean_loss)> on_step;
};

// Why a run ended; to_string gives the word metrics.jsonl's end record ("reason") and the log use.
enum class StopReason {
  epochs,           // train.epochs done
  max_steps,        // train.max_steps reached
  early_stopping,   // no improvement for train.early_stopping.patience epochs
  signal,           // SIGTERM/SIGINT: checkpointed, to be resumed
  already_finished  // --resume of a run that had ended: nothing trained
};

constexpr std::string_view to_string(StopReason r) {
  switch (r) {
    case StopReason::epochs:
      return "epochs";
    case StopReason::max_steps:
      return "max_steps";
    case StopReason::early_stopping:
      return "early_stopping";
    case StopReason::signal:
      return "signal";
    case StopReason::already_finished:
      return "already_finished";
  }
  return "unknown";
}

struct TrainOutcome {
  EvalResult val, test;   // of the final model (the best one with early stopping)
  double train_loss = 0;  // mean over the last epoch's samples
  int64_t steps = 0, epochs = 0, best_epoch = 0;
  double seconds = 0;
  StopReason stop_reason = StopReason::epochs;
  std::vector<float> params;   // final parameters (identical on every rank)
  std::vector<float> buffers;  // final batchnorm running statistics (identical on every rank)
};

// Collective: the whole run, on the config and settings the caller read once (load_train_config).
TrainOutcome train(const TrainConfig& tc, const Comm& comm, const TrainOptions& opts);
// The same for a config whose settings are not read yet (tests): reads them, then trains.
TrainOutcome train(const Config& cfg, const Comm& comm, const TrainOptions& opts);

}  // namespace dpt
