// The learning-rate range test's arithmetic (cli/lr_range.hpp): the exponential lr ramp, the
// smoothed loss, when it stops, and the suggestion on curves whose answer is known.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cli/lr_range.hpp"

namespace dpt::cli {
namespace {

TEST(LrRange, TheRampIsExponentialFromStartToEnd) {
  const LrRange r{1e-4, 1.0, 101};
  EXPECT_DOUBLE_EQ(r.lr_at(0), 1e-4);
  EXPECT_NEAR(r.lr_at(100), 1.0, 1e-12);
  EXPECT_NEAR(r.lr_at(50), 1e-2, 1e-12);  // halfway in log space
}

// A loss that is flat, falls around lr 1e-2 and explodes past lr 0.3: its smoothed minimum lies
// between the fall and the explosion, the suggestion a tenth of it, and the test stops on its own.
TEST(LrRange, SuggestsATenthOfTheMinimumAndStopsWhenTheLossExplodes) {
  const LrRange r{1e-5, 10, 300};
  LrCurve c;
  int64_t k = 0;
  for (; k < r.steps; ++k) {
    const double lr = r.lr_at(k), x = std::log10(lr);
    const double loss = 2.3 - 1.5 / (1 + std::exp(-4 * (x + 2))) + (lr > 0.3 ? 50 * (lr - 0.3) : 0);
    if (!add_point(c, lr, loss)) break;
  }
  EXPECT_TRUE(c.diverged);
  EXPECT_LT(k, r.steps);
  analyze(c);
  const double at_min = c.lr[static_cast<size_t>(c.best)];
  EXPECT_GT(at_min, 0.05);
  EXPECT_LT(at_min, 1.0);
  EXPECT_DOUBLE_EQ(c.suggested, at_min / 10);
  const double steepest = c.lr[static_cast<size_t>(c.steepest)];
  EXPECT_GT(steepest, 3e-3);  // where the sigmoid falls, shifted right by the smoothing's lag
  EXPECT_LT(steepest, at_min);
}

TEST(LrRange, ANonFiniteLossStopsTheTest) {
  LrCurve c;
  EXPECT_TRUE(add_point(c, 1e-3, 2.0));
  EXPECT_FALSE(add_point(c, 1e-2, std::numeric_limits<double>::quiet_NaN()));
  EXPECT_TRUE(c.diverged);
  EXPECT_EQ(c.loss.size(), 1u);
}

TEST(LrRange, ALossThatNeverFallsGivesNoSuggestion) {
  LrCurve c;
  for (int k = 0; k < 50; ++k) add_point(c, 1e-5 * (k + 1), 2.3 + 0.001 * std::sin(k));
  analyze(c);
  EXPECT_EQ(c.suggested, 0);
}

TEST(LrRange, TheSmoothedLossOfAConstantIsThatConstant) {  // the bias correction
  LrCurve c;
  for (int k = 0; k < 10; ++k) add_point(c, 1e-3, 1.5);
  for (double v : c.smoothed) EXPECT_NEAR(v, 1.5, 1e-12);
}

}  // namespace
}  // namespace dpt::cli
