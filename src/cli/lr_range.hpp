// The learning-rate range test (Smith 2017, "Cyclical Learning Rates"; fastai's lr_find): the lr
// grows exponentially from `start` to `end` over `steps` optimizer steps of real training; the
// loss, smoothed, falls, flattens and explodes. The suggestion is one tenth of the lr at the
// smoothed loss's minimum (fastai's classic rule: an order of magnitude before the loss turns);
// the lr where the smoothed loss falls fastest against log lr is reported beside it.
#pragma once
#include <cstdint>
#include <vector>

namespace dpt::cli {

struct LrRange {
  double start = 1e-5, end = 10;
  int64_t steps = 200;
  double lr_at(int64_t step) const;  // start * (end / start)^(step / (steps - 1))
};

struct LrCurve {
  std::vector<double> lr, loss, smoothed;  // per step taken
  int64_t best = -1;                       // index of the lowest smoothed loss
  int64_t steepest = -1;                   // index of the steepest fall (-1: the loss never fell)
  double suggested = 0;                    // lr[best] / 10; 0 when the loss never fell by 10 %
  bool diverged = false;                   // stopped early: smoothed loss > 4x its minimum, or non-finite
  double ema = 0;                          // the moving average before bias correction
};

// Adds a step's global mean loss; returns false when the test should stop (divergence).
// Smoothing: exponential moving average, beta 0.98, bias-corrected.
bool add_point(LrCurve& c, double lr, double loss);
// Fills best, steepest (central differences of the smoothed loss over log lr, from the 5th point
// to the minimum) and suggested.
void analyze(LrCurve& c);

}  // namespace dpt::cli
