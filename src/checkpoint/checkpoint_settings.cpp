#include "checkpoint/checkpoint_settings.hpp"

namespace dpt {

const OptionTable& checkpoint_options() {
  static const OptionTable t = {
      option_spec("checkpoint.every_steps", OptType::Int, "0", "write a checkpoint every N optimizer steps (0: off)",
                  0),
      option_spec("checkpoint.every_minutes", OptType::Float, "0", "write a checkpoint every T minutes (0: off)", 0),
      option_spec("checkpoint.every_epoch", OptType::Bool, "true", "write a checkpoint at the end of every epoch"),
      option_spec("checkpoint.keep", OptType::Int, "3", "checkpoints kept (older ones are deleted)", 1),
  };
  return t;
}

CheckpointSettings read_checkpoint_settings(const Config& c) {
  return {c.get_int("checkpoint.every_steps"), c.get_float("checkpoint.every_minutes"),
          c.get_bool("checkpoint.every_epoch"), c.get_int("checkpoint.keep")};
}

}  // namespace dpt
