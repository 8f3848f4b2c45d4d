#include "optim/optim_settings.hpp"

#include <cmath>

namespace dpt {

const OptionTable& optim_options() {
  constexpr double inf = INFINITY;
  static const OptionTable t = {
      choice_spec("optimizer.name", "sgd", "optimizer", {"sgd", "adam", "adamw"}),
      option_spec("optimizer.lr", OptType::Float, "0.05", "learning rate", 0, inf, true),
      option_spec("optimizer.momentum", OptType::Float, "0.9", "sgd: momentum", 0, 1),
      option_spec("optimizer.nesterov", OptType::Bool, "false", "sgd: Nesterov momentum"),
      option_spec("optimizer.weight_decay", OptType::Float, "0", "sgd/adam: L2 added to the gradient; adamw: decoupled",
                  0),
      option_spec("optimizer.beta1", OptType::Float, "0.9", "adam/adamw: first-moment decay", 0, 1),
      option_spec("optimizer.beta2", OptType::Float, "0.999", "adam/adamw: second-moment decay", 0, 1),
      option_spec("optimizer.eps", OptType::Float, "1e-8", "adam/adamw: added to the denominator", 0, inf, true),
      option_spec("optimizer.shard", OptType::Bool, "false",
                  "shard the optimizer state over the ranks (ZeRO stage 1): each rank updates 1/ranks of the "
                  "parameters and keeps only their state; the same result as unsharded (bit for bit with "
                  "train.deterministic, comm.compress: bf16 or on 2 ranks)"),
      option_spec("optimizer.reference_batch", OptType::Int, "0",
                  "linear scaling rule: lr x batch_size / reference_batch (0: off)", 0),
      choice_spec("schedule.name", "constant", "learning-rate schedule over optimizer steps",
                  {"constant", "step", "exponential", "cosine"}),
      option_spec("schedule.min_lr", OptType::Float, "0", "cosine: learning rate at the last step", 0),
      option_spec("schedule.step_size", OptType::Int, "1000", "step: multiply by gamma every step_size steps", 1),
      option_spec("schedule.gamma", OptType::Float, "0.1", "step/exponential: decay factor", 0, 1, true),
      option_spec("schedule.warmup_steps", OptType::Int, "0", "linear warmup steps before the schedule", 0),
      option_spec("schedule.warmup_start_factor", OptType::Float, "0", "warmup starts at this fraction of lr", 0, 1),
  };
  return t;
}

OptimSettings read_optim_settings(const Config& c, int64_t global_batch) {
  OptimSettings s;
  s.optimizer = {c.get_string("optimizer.name"),   c.get_float("optimizer.momentum"),
                 c.get_bool("optimizer.nesterov"), c.get_float("optimizer.weight_decay"),
                 c.get_float("optimizer.beta1"),   c.get_float("optimizer.beta2"),
                 c.get_float("optimizer.eps")};
  validate(s.optimizer);
  s.shard = c.get_bool("optimizer.shard");
  const int64_t ref = c.get_int("optimizer.reference_batch");
  s.lr = static_cast<float>(ref > 0 ? linear_scaled_lr(c.get_float("optimizer.lr"), global_batch, ref)
                                    : c.get_float("optimizer.lr"));
  s.schedule.name = c.get_string("schedule.name");
  s.schedule.base_lr = s.lr;
  s.schedule.min_lr = c.get_float("schedule.min_lr");
  s.schedule.step_size = c.get_int("schedule.step_size");
  s.schedule.gamma = c.get_float("schedule.gamma");
  s.schedule.warmup_steps = c.get_int("schedule.warmup_steps");
  s.schedule.warmup_start_factor = c.get_float("schedule.warmup_start_factor");
  s.schedule.validate();
  return s;
}

}  // namespace dpt
