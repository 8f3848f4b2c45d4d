// kern::mse: hand-computed values, the optimized kernel against its plain reference, and results
// that do not depend on the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.hpp"
#include "kernels/mse.hpp"
#include "kernels/threads.hpp"

namespace dpt::kern {
namespace {

TEST(Mse, HandComputedLossMaeAndGradient) {
  // pred (2, 2), target (2, 2): errors (1, -2) and (0.5, 0): row means of squares 2.5 and 0.125.
  const float pred[] = {1.0f, 0.0f, 2.5f, -1.0f};
  const float target[] = {0.0f, 2.0f, 2.0f, -1.0f};
  float d[4];
  const MseResult r = mse(pred, target, 2, 2, 0.25f, d);
  EXPECT_DOUBLE_EQ(r.loss_sum, 2.5 + 0.125);
  EXPECT_DOUBLE_EQ(r.abs_sum, 1.5 + 0.25);
  // dpred = 2 (pred - target) / C * grad_scale = (pred - target) * 0.25
  const float want[] = {0.25f, -0.5f, 0.125f, 0.0f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(d[i], want[i]) << i;
  // One output: the per-sample loss is the squared error itself.
  const float p1[] = {3.0f, -1.0f}, t1[] = {1.0f, -1.5f};
  const MseResult r1 = mse(p1, t1, 2, 1, 1.0f, static_cast<float*>(nullptr));
  EXPECT_DOUBLE_EQ(r1.loss_sum, 4.0 + 0.25);
  EXPECT_DOUBLE_EQ(r1.abs_sum, 2.5);
}

TEST(Mse, MatchesReferenceAndIsIndependentOfThreads) {
  for (const auto& [B, C] : {std::pair<int64_t, int64_t>{1, 1}, {7, 3}, {3000, 1}, {517, 9}}) {
    SCOPED_TRACE(B * 100 + C);
    const auto pred = test::random_vector<float>(static_cast<size_t>(B * C), 5, -3, 3);
    const auto target = test::random_vector<float>(static_cast<size_t>(B * C), 6, -2, 2);
    std::vector<float> d(pred.size()), d_ref(pred.size()), d1(pred.size());
    const float scale = 1.0f / static_cast<float>(B);
    configure_threads(2);
    const MseResult r = mse(pred.data(), target.data(), B, C, scale, d.data());
    const MseResult rr = ref::mse(pred.data(), target.data(), B, C, scale, d_ref.data());
    EXPECT_NEAR(r.loss_sum, rr.loss_sum, 1e-12 * std::max(1.0, rr.loss_sum));
    EXPECT_NEAR(r.abs_sum, rr.abs_sum, 1e-12 * std::max(1.0, rr.abs_sum));
    EXPECT_TRUE(test::bitwise_equal(d, d_ref));
    configure_threads(1);
    const MseResult r1 = mse(pred.data(), target.data(), B, C, scale, d1.data());
    EXPECT_EQ(r1.loss_sum, r.loss_sum);  // row sums in row order: the same bits on any thread count
    EXPECT_EQ(r1.abs_sum, r.abs_sum);
    EXPECT_TRUE(test::bitwise_equal(d1, d));
  }
}

}  // namespace
}  // namespace dpt::kern
