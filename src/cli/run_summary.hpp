// One run for `dptrain compare`: its config (RUN/config.yaml as dotted keys) and the numbers of its
// metrics.jsonl: best and final validation metrics, final test metrics, epochs and time.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli/sweep_dir.hpp"

namespace dpt::cli {

struct RunSummary {
  std::string run;  // the run directory
  // "done", "interrupted" (stopped by a signal), "unfinished" (epochs but no end record yet), "no epoch yet"
  // (config.yaml but no epoch record), "not started"
  std::string status;
  // Dotted key -> value (flow YAML), in config.yaml's order; for a sweep point that has not written its
  // config.yaml yet, the point's own settings.
  std::vector<std::pair<std::string, std::string>> config;
  // best_val_X and final_val_X for each validation metric X (loss, accuracy, rmse, mae, r2), test_X
  // (final), train_loss (final), epochs, time_s (elapsed at the last epoch): those the run has.
  std::map<std::string, double> metrics;
};

// Reads one run. A directory without metrics (or a sweep point without a directory) is a run not
// started; a path that does not exist (other than a sweep point's) is an error.
RunSummary summarize_run(const RunArg& arg);

// Whether a larger value of the metric or column is better (accuracy, r2).
bool higher_is_better(const std::string& column);

}  // namespace dpt::cli
