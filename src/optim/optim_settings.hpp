// The optimizer.* and schedule.* options, owned by optim/: the optimizer, its learning rate (after
// the linear scaling rule) and the learning-rate schedule.
#pragma once
#include <cstdint>

#include "core/config.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"

namespace dpt {

const OptionTable& optim_options();

struct OptimSettings {
  OptimizerSettings optimizer;
  bool shard = false;   // optimizer.shard: each rank owns the update and state of 1/ranks of the parameters
  float lr;             // optimizer.lr, after the linear scaling rule if optimizer.reference_batch > 0
  LrSchedule schedule;  // base_lr = lr; total_steps is set by the trainer
};

// global_batch: train.batch_size (the linear scaling rule's batch). Throws for invalid optimizer or
// schedule fields.
OptimSettings read_optim_settings(const Config& c, int64_t global_batch);

}  // namespace dpt
