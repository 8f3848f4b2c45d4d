#include "cli/lr_range.hpp"

#include <cmath>

namespace dpt::cli {

namespace {
constexpr double kBeta = 0.98, kDiverged = 4.0;
constexpr int64_t kSkip = 5;  // the first points: the average has seen too little
}  // namespace

double LrRange::lr_at(int64_t step) const {
  const double f = steps > 1 ? static_cast<double>(step) / static_cast<double>(steps - 1) : 0.0;
  return start * std::pow(end / start, f);
}

bool add_point(LrCurve& c, double lr, double loss) {
  if (!std::isfinite(loss)) {
    c.diverged = true;
    return false;
  }
  const double n = static_cast<double>(c.loss.size() + 1);
  c.ema = kBeta * c.ema + (1 - kBeta) * loss;
  c.lr.push_back(lr), c.loss.push_back(loss), c.smoothed.push_back(c.ema / (1 - std::pow(kBeta, n)));
  double lowest = c.smoothed[0];
  for (double v : c.smoothed) lowest = std::min(lowest, v);
  if (c.smoothed.size() > static_cast<size_t>(kSkip) && c.smoothed.back() > kDiverged * lowest) {
    c.diverged = true;
    return false;
  }
  return true;
}

void analyze(LrCurve& c) {
  const auto n = static_cast<int64_t>(c.smoothed.size());
  c.best = c.steepest = -1;
  if (n == 0) return;
  c.best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (c.smoothed[static_cast<size_t>(i)] < c.smoothed[static_cast<size_t>(c.best)]) c.best = i;
  double slope = 0;
  for (int64_t i = std::max<int64_t>(kSkip, 1); i < std::min(c.best, n - 1); ++i) {
    const auto u = static_cast<size_t>(i);
    const double d = (c.smoothed[u + 1] - c.smoothed[u - 1]) / (std::log(c.lr[u + 1]) - std::log(c.lr[u - 1]));
    if (d < slope) slope = d, c.steepest = i;
  }
  const double first = c.smoothed[static_cast<size_t>(std::min<int64_t>(kSkip, n - 1))];
  if (c.steepest >= 0 && c.smoothed[static_cast<size_t>(c.best)] < 0.9 * first)
    c.suggested = c.lr[static_cast<size_t>(c.best)] / 10;
}

}  // namespace dpt::cli
