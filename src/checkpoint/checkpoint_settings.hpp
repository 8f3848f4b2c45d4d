// The checkpoint.* options, owned by checkpoint/: when the trainer writes checkpoints and how
// many it keeps.
#pragma once
#include <cstdint>

#include "core/config.hpp"

namespace dpt {

const OptionTable& checkpoint_options();

struct CheckpointSettings {
  int64_t every_steps;   // 0: off
  double every_minutes;  // 0: off
  bool every_epoch;
  int64_t keep;  // checkpoints kept in the directory
};

CheckpointSettings read_checkpoint_settings(const Config& c);

}  // namespace dpt
