// Learning-rate schedules, a pure function of the optimizer step (so resume and any rank count
// see the same rate).
#pragma once
#include <cstdint>
#include <string>

namespace dpt {

struct LrSchedule {
  std::string name = "constant";  // constant | cosine
  double base_lr = 0.05;
  double min_lr = 0;              // cosine: the rate at the last step
  int64_t total_steps = 1;        // steps of the whole run

  // Learning rate for step `step` (0-based).
  double at(int64_t step) const;
};

}  // namespace dpt
