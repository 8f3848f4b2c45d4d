// The run directory: config.yaml, metrics.jsonl, train.log, model.h5, best_model.h5, checkpoints/.
#pragma once
#include <string>

#include "comm/comm.hpp"

namespace dpt {

struct RunDir {
  std::string root;  // "" = no run directory (nothing is written)
  std::string file(const std::string& name) const;
  std::string checkpoints() const { return file("checkpoints"); }
};

// Collective. Refuses --overwrite with --resume, an --out that is a file, and a directory that
// already holds a run (metrics.jsonl, model.h5, best_model.h5, checkpoints/) unless overwrite or
// resume; every rank throws alike.
void check_run_dir(const RunDir& dir, bool overwrite, bool resume, const Comm& comm);
// Rank 0: creates the directories and writes config.yaml (a fresh run also drops an earlier
// metrics.jsonl). Call only after the data and model checks passed.
void prepare_run_dir(const RunDir& dir, const std::string& config_yaml, bool resume);
// Collective, after the data, model and checkpoint checks passed: rank 0 prepares the directory
// (prepare_run_dir), then every rank checks that the checkpoint directory is writable. When that
// fails, a directory this call created is removed again (a refused start leaves nothing behind).
void open_run_dir(const RunDir& dir, const std::string& config_yaml, bool resume, const Comm& comm);
// Rank 0, on resume: keeps the metrics.jsonl epoch records up to `step` (later ones belong to work
// the checkpoint does not hold; an end record belongs to the stopped run); rewritten atomically.
void truncate_metrics(const RunDir& dir, int64_t step);

}  // namespace dpt
