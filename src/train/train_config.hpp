// The `train` option table (the single source for --help, config parsing, validation, the
// resolved config.yaml and what checkpoints and model files store) and the typed settings.
#pragma once
#include <string>

#include "comm/comm.hpp"
#include "core/config.hpp"
#include "h5/sample_source.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"
#include "train/stream_sizing.hpp"

namespace dpt {

const OptionTable& train_options();

struct TrainSettings {
  uint64_t seed;
  SplitPaths train, val, test;  // val/test .file empty: none
  double val_fraction;          // > 0: validation carved from the training rows
  float scale;
  bool shuffle;
  StreamRequest stream;  // data.memory_budget > 0: streaming mode (train/stream_data.hpp)
  YAML::Node layers;
  std::string layers_origin;
  std::string loss;
  OptimizerSettings optimizer;
  float lr;             // after the linear scaling rule, if enabled
  LrSchedule schedule;  // total_steps is set by the trainer
  int64_t epochs, batch_size, eval_batch_size, max_steps, grad_accumulation;
  bool deterministic;    // exact, rank-count independent gradient sums over micro-shards
  int64_t micro_shards;  // pieces of each global batch when deterministic
  double clip_grad_norm;
  bool skip_nonfinite;
  std::string early_metric;  // val_loss | val_accuracy | val_rmse | val_mae | val_r2
  int64_t patience;          // 0: no early stopping
  double min_delta;
  int64_t ckpt_every_steps;
  double ckpt_every_minutes;
  bool ckpt_every_epoch;
  int64_t ckpt_keep;
  double progress_interval;
  bool log_all_ranks;
  int threads;               // 0: automatic
  double watchdog_timeout;   // 0: off
  double heartbeat_timeout;  // 0: off
  bool overlap;              // start gradient sums during backward (else one allreduce after it)
  int64_t bucket_floats;     // gradient bucket size for overlap
  bool comm_thread;          // overlap: a communication thread drives the sums (else MPI polling)
};

TrainSettings read_settings(const Config& c);
// TBB and OpenBLAS threads for this rank: runtime.threads, else the rank's share of the node;
// OpenBLAS on one thread with train.deterministic (kernels/threads.hpp).
void configure_threads(const TrainSettings& s, const Comm& comm);
// The train table's Config from a YAML file plus "key=value" overrides, with required options checked.
Config load_train_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace dpt
