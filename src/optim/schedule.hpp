// Learning-rate schedules, a pure function of the optimizer step (so resume and any rank count
// see the same rate). Steps are 0-based optimizer steps (one per global batch), never epochs.
//
//   warmup (optional): steps [0, warmup_steps) rise linearly from warmup_start_factor * base_lr
//     (at step 0) towards base_lr, reached at step warmup_steps (torch LinearLR); the decay below
//     then runs on d = step - warmup_steps, starting from base_lr.
//   constant:     base_lr
//   step:         base_lr * gamma^floor(d / step_size)            (torch StepLR)
//   exponential:  base_lr * gamma^d, gamma per optimizer step      (torch ExponentialLR stepped per batch)
//   cosine:       min_lr + (base_lr - min_lr) (1 + cos(pi * d / (D - 1))) / 2 with
//                 D = total_steps - warmup_steps decay steps: base_lr at d = 0, min_lr at the last
//                 step of the run (and after it); D <= 1 gives min_lr from d = 1 on.
#pragma once
#include <cstdint>
#include <string>

namespace dpt {

struct LrSchedule {
  std::string name = "constant";   // constant | step | exponential | cosine
  double base_lr = 0.05;           // the optimizer's lr
  double min_lr = 0;               // cosine: the rate at the last step
  int64_t total_steps = 1;         // steps of the whole run, warmup included (cosine)
  int64_t step_size = 1;           // step: multiply by gamma every step_size steps
  double gamma = 0.1;              // step, exponential: decay factor, in (0, 1]
  int64_t warmup_steps = 0;        // linear warmup before the decay; 0: none
  double warmup_start_factor = 0;  // warmup starts at this fraction of base_lr, in [0, 1]

  // Learning rate for step `step` (0-based, >= 0). Throws dpt::Error on invalid fields.
  double at(int64_t step) const;
  // Throws dpt::Error naming the field and value, e.g. "schedule.gamma = 1.5: must be in (0, 1]".
  // Only the fields the named schedule uses are checked.
  void validate() const;
};

// The linear scaling rule (Goyal et al. 2017), opt-in: lr * global_batch / reference_batch, for a
// base lr tuned at reference_batch. Both batches must be > 0.
double linear_scaled_lr(double lr, int64_t global_batch, int64_t reference_batch);

}  // namespace dpt
