// The `train` option table: the tables of the modules a run uses (data.* from input/, optimizer.*
// and schedule.* from optim/, checkpoint.* from checkpoint/, comm.* and the watchdog's runtime.*
// from comm/) and train's own (seed, model.layers, loss, train.*, early_stopping.*, log.*,
// runtime.threads). It is the single source for --help, config parsing, validation, the resolved
// config.yaml and what checkpoints and model files store. TrainSettings is the typed result,
// composed of each module's settings; a run reads it once (TrainConfig) and passes it on.
#pragma once
#include <string>
#include <vector>

#include "checkpoint/checkpoint_settings.hpp"
#include "comm/comm.hpp"
#include "comm/comm_settings.hpp"
#include "core/config.hpp"
#include "input/data_settings.hpp"
#include "layers/loss.hpp"
#include "optim/optim_settings.hpp"

namespace dpt {

const OptionTable& train_options();

// log.trace, log.trace_start, log.trace_steps (train/rank_timeline.hpp).
struct TraceSettings {
  bool on = false;
  int64_t start = 10, steps = 20;  // optimizer steps [start, start + steps), counted from 0
};

struct TrainSettings {
  uint64_t seed;
  DataSettings data;
  YAML::Node layers;
  std::string layers_origin;
  std::string loss;
  bool has_ignore = false;   // loss_ignore_index set
  int64_t ignore_index = 0;  // cross_entropy: this label adds nothing
  OptimSettings optim;
  int64_t epochs, batch_size, eval_batch_size, max_steps, grad_accumulation;
  bool deterministic;    // exact, rank-count independent gradient sums over micro-shards
  int64_t micro_shards;  // pieces of each global batch when deterministic
  double clip_grad_norm;
  std::string init_from;          // HDF5 state_dict to start from (checkpoint/state_dict_file.hpp); empty: none
  bool init_by_position = false;  // train.init_from_match: position
  bool skip_nonfinite;
  std::string early_metric;  // val_loss | val_accuracy | val_rmse | val_mae | val_r2
  int64_t patience;          // 0: no early stopping
  double min_delta;
  CheckpointSettings ckpt;
  double progress_interval;
  bool log_all_ranks;
  TraceSettings trace;  // log.trace*
  int threads;          // 0: automatic
  CommSettings comm;

  RunShape run_shape() const { return {seed, batch_size, epochs}; }
};

// The loss's options for data whose rows carry `target_slots` labels (a class map when > 1).
LossOptions loss_options(const TrainSettings& s, int64_t target_slots);
// What SampleSource::check_labels checks for a model whose per-sample output is `output`.
LabelRule label_rule(const TrainSettings& s, const Shape& output);

// Every value read and checked (throws naming the option for the first bad one).
TrainSettings read_settings(const Config& c);

// A run's config and its settings, read from it once.
struct TrainConfig {
  Config cfg;
  TrainSettings s;
};
TrainConfig read_train_config(Config cfg);
// The train table's config from a YAML file plus "key=value" overrides, with required options and
// every value checked, before anything is logged or opened.
TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides);

// TBB and OpenBLAS threads for this rank: runtime.threads, else the rank's share of the node;
// OpenBLAS on one thread with train.deterministic (kernels/threads.hpp).
void configure_threads(const TrainSettings& s, const Comm& comm);

}  // namespace dpt
