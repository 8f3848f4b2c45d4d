#include "optim/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace dpt {

namespace {

void check_nonnegative(const char* field, double v) {
  if (!std::isfinite(v) || v < 0) fail("schedule.{} = {}: must be finite and >= 0", field, v);
}

// The rate d steps after the warmup (d >= 0); the schedule is valid.
double decayed(const LrSchedule& s, int64_t d) {
  if (s.name == "step") return s.base_lr * std::pow(s.gamma, static_cast<double>(d / s.step_size));
  if (s.name == "exponential") return s.base_lr * std::pow(s.gamma, static_cast<double>(d));
  if (s.name == "cosine") {
    const int64_t decay_steps = s.total_steps - s.warmup_steps;
    const double t =
        std::clamp(static_cast<double>(d) / static_cast<double>(std::max<int64_t>(decay_steps - 1, 1)), 0.0, 1.0);
    return s.min_lr + 0.5 * (s.base_lr - s.min_lr) * (1.0 + std::cos(M_PI * t));
  }
  return s.base_lr;  // constant
}

}  // namespace

void LrSchedule::validate() const {
  if (name != "constant" && name != "step" && name != "exponential" && name != "cosine")
    fail("schedule.name = '{}': must be constant, step, exponential or cosine", name);
  check_nonnegative("base_lr", base_lr);
  if (warmup_steps < 0) fail("schedule.warmup_steps = {}: must be >= 0", warmup_steps);
  if (!(warmup_start_factor >= 0 && warmup_start_factor <= 1))
    fail("schedule.warmup_start_factor = {}: must be in [0, 1]", warmup_start_factor);
  if (name == "step" && step_size < 1) fail("schedule.step_size = {}: must be >= 1", step_size);
  if ((name == "step" || name == "exponential") && !(gamma > 0 && gamma <= 1))
    fail("schedule.gamma = {}: must be in (0, 1]", gamma);
  if (name == "cosine") {
    check_nonnegative("min_lr", min_lr);
    if (total_steps < 1) fail("schedule.total_steps = {}: must be >= 1", total_steps);
  }
}

double LrSchedule::at(int64_t step) const {
  validate();
  if (step < 0) fail("learning-rate schedule: step = {}, must be >= 0", step);
  if (step < warmup_steps) {
    const double frac = static_cast<double>(step) / static_cast<double>(warmup_steps);
    return base_lr * (warmup_start_factor + (1.0 - warmup_start_factor) * frac);
  }
  return decayed(*this, step - warmup_steps);
}

double linear_scaled_lr(double lr, int64_t global_batch, int64_t reference_batch) {
  if (global_batch < 1) fail("linear scaling rule: global_batch = {}, must be >= 1", global_batch);
  if (reference_batch < 1) fail("linear scaling rule: reference_batch = {}, must be >= 1", reference_batch);
  return lr * static_cast<double>(global_batch) / static_cast<double>(reference_batch);
}

}  // namespace dpt
