// The `train` option table (the single source for --help, config parsing, validation, the
// resolved config.yaml and what model files store) and the typed settings read from it.
#pragma once
#include <string>

#include "core/config.hpp"
#include "data/h5_dataset.hpp"
#include "optim/schedule.hpp"

namespace dpt {

const OptionTable& train_options();

struct TrainSettings {
  uint64_t seed;
  SplitPaths train, test;  // test.file empty: no test evaluation
  float scale;
  bool shuffle;
  YAML::Node layers;
  std::string layers_origin;
  std::string loss;
  std::string optimizer;
  float lr, momentum, weight_decay;
  bool nesterov;
  LrSchedule schedule;  // total_steps is set by the trainer
  int64_t epochs, batch_size, eval_batch_size, max_steps;
  double progress_interval;
  bool log_all_ranks;
  int threads;  // 0: automatic
};

TrainSettings read_settings(const Config& c);

}  // namespace dpt
