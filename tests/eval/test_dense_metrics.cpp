// eval/dense_metrics at 1-4 ranks: IoU and mean IoU from a hand-worked confusion matrix (absent
// classes left out), per-output MSE/MAE/R^2 of fields against a two-pass computation, and the
// combined sums bit-identical whatever the number of ranks holding the rows.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "comm/comm.hpp"
#include "core/partition.hpp"
#include "eval/dense_metrics.hpp"

using namespace dpt;

TEST(DenseMetrics, IouFromAHandWorkedConfusionMatrix) {
  // [truth][predicted], 4 classes; class 3 appears nowhere.
  const std::vector<int64_t> conf = {5, 1, 0, 0,   // truth 0
                                     2, 3, 1, 0,   // truth 1
                                     0, 0, 4, 0,   // truth 2
                                     0, 0, 0, 0};  // truth 3
  const std::vector<double> iou = class_iou(conf, 4);
  EXPECT_DOUBLE_EQ(iou[0], 5.0 / (6 + 7 - 5));  // TP 5, truth 6, predicted 7
  EXPECT_DOUBLE_EQ(iou[1], 3.0 / (6 + 4 - 3));
  EXPECT_DOUBLE_EQ(iou[2], 4.0 / (4 + 5 - 4));
  EXPECT_TRUE(std::isnan(iou[3]));
  EXPECT_DOUBLE_EQ(mean_iou(iou), (5.0 / 8 + 3.0 / 7 + 4.0 / 5) / 3);
  EXPECT_TRUE(std::isnan(mean_iou({NAN, NAN})));
}

namespace {
constexpr int64_t kRows = 37, kT = 2, kP = 6;

// Row r, output t, position p: target and prediction.
float target(int64_t r, int64_t t, int64_t p) { return static_cast<float>(std::sin(0.7 * r + 1.3 * t + 0.37 * p)); }
float pred(int64_t r, int64_t t, int64_t p) {
  return target(r, t, p) + static_cast<float>(0.1 * std::cos(r + 3.0 * p + t));
}

std::vector<double> stats_of(int64_t lo, int64_t hi) {
  std::vector<double> s(static_cast<size_t>((hi - lo) * kRowStats * kT));
  std::vector<float> out(kT * kP), y(kT * kP);
  for (int64_t r = lo; r < hi; ++r) {
    for (int64_t t = 0; t < kT; ++t)
      for (int64_t p = 0; p < kP; ++p) out[t * kP + p] = pred(r, t, p), y[t * kP + p] = target(r, t, p);
    row_output_stats(out.data(), y.data(), kT, kP, s.data() + (r - lo) * kRowStats * kT);
  }
  return s;
}
}  // namespace

TEST(DenseMetrics, PerOutputRegressionMetricsAnyRankCount) {
  const Comm world;
  const auto [lo, hi] = block_range(kRows, world.rank(), world.size());
  const auto m = combine_output_stats(stats_of(lo, hi), hi - lo, kT, kP, world);
  ASSERT_EQ(m.size(), static_cast<size_t>(kT));
  // Two-pass reference in double.
  for (int64_t t = 0; t < kT; ++t) {
    double mean = 0, sst = 0, sse = 0, sae = 0;
    const double n = kRows * kP;
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t p = 0; p < kP; ++p) mean += target(r, t, p);
    mean /= n;
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t p = 0; p < kP; ++p) {
        const double d = static_cast<double>(pred(r, t, p)) - target(r, t, p), c = target(r, t, p) - mean;
        sst += c * c, sse += d * d, sae += std::abs(d);
      }
    EXPECT_NEAR(m[t].mse, sse / n, 1e-14);
    EXPECT_NEAR(m[t].mae, sae / n, 1e-14);
    EXPECT_NEAR(m[t].r2, 1 - sse / sst, 1e-12);
    EXPECT_GT(m[t].r2, 0.9);
  }
  // Bit-identical to one rank holding every row.
  const Comm alone = world.split(world.rank());
  const auto one = combine_output_stats(stats_of(0, kRows), kRows, kT, kP, alone);
  for (int64_t t = 0; t < kT; ++t) {
    EXPECT_EQ(m[t].mse, one[t].mse);
    EXPECT_EQ(m[t].mae, one[t].mae);
    EXPECT_EQ(m[t].r2, one[t].r2);
    EXPECT_EQ(m[t].sst, one[t].sst);
  }
}
