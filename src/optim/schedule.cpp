#include "optim/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace dpt {

double LrSchedule::at(int64_t step) const {
  if (name == "constant") return base_lr;
  if (name == "cosine") {
    const double t = std::clamp(static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total_steps - 1, 1)), 0.0, 1.0);
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(M_PI * t));
  }
  fail("unknown learning-rate schedule '{}': must be constant or cosine", name);
}

}  // namespace dpt
