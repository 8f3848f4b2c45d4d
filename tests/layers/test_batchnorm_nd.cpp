// BatchNorm<double> over signals (C, L) and volumes (C, D, H, W) (PyTorch's BatchNorm1d on 3-D
// input and BatchNorm3d): statistics per channel over the batch and every position, checked
// against a direct computation; the deferred running statistics of train.deterministic (sums of
// per-pass statistics, committed once) against the direct update; the same bits on 1 and 4 threads.
// The finite-difference checks of these ranks are BatchNormCases in test_batchnorm.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "grad_check.hpp"
#include "layers/batchnorm.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

// Per-channel mean and unbiased variance of x (B, C, M).
void channel_stats(const std::vector<double>& x, int64_t B, int64_t C, int64_t M, int64_t c, double& mean,
                   double& unbiased) {
  double s = 0, q = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t m = 0; m < M; ++m) s += x[static_cast<size_t>((b * C + c) * M + m)];
  mean = s / static_cast<double>(B * M);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t m = 0; m < M; ++m) q += std::pow(x[static_cast<size_t>((b * C + c) * M + m)] - mean, 2);
  unbiased = q / static_cast<double>(B * M - 1);
}

TEST(BatchNormNd, DeferredRunningStatisticsOfSignalsAndVolumes) {
  for (const Shape& in : {Shape{3, 7}, Shape{2, 3, 4, 5}}) {
    SCOPED_TRACE(shape_str(in));
    const int64_t C = in[0], M = numel(in) / C;
    BatchNorm<double> bn(in, 0.1, 1e-5, false);
    auto b = test::bind_random(bn, 1);
    std::vector<double> sums(static_cast<size_t>(2 * C), 0.0);
    bn.bind_buffers(b.buffers.data(), sums.data());
    Rng rng(2);
    bn.init(rng);  // running mean 0, var 1
    PassContext ctx;
    ctx.training = true;
    ctx.defer_running_stats = true;
    bn.set_context(&ctx);
    const int64_t B1 = 2, B2 = 3;
    const auto x1 = test::random_doubles(static_cast<size_t>(B1 * numel(in)), 3, -2, 3);
    const auto x2 = test::random_doubles(static_cast<size_t>(B2 * numel(in)), 4, -1, 2);
    std::vector<double> y(x2.size());
    bn.forward(x1.data(), y.data(), B1);
    bn.forward(x2.data(), y.data(), B2);
    for (int64_t c = 0; c < C; ++c) EXPECT_EQ(b.buffers[static_cast<size_t>(c)], 0.0);  // not updated yet
    bn.commit({B1, B2});
    for (int64_t c = 0; c < C; ++c) {
      double m1, v1, m2, v2;
      channel_stats(x1, B1, C, M, c, m1, v1);
      channel_stats(x2, B2, C, M, c, m2, v2);
      EXPECT_NEAR(b.buffers[static_cast<size_t>(c)], 0.1 * (m1 + m2) / 2, 1e-12);
      EXPECT_NEAR(b.buffers[static_cast<size_t>(C + c)], 0.9 + 0.1 * (v1 + v2) / 2, 1e-12);
    }
  }
}

TEST(BatchNormNd, TrainingNormalizesEachChannelOverBatchAndPositions) {
  const Shape in{2, 3, 2, 4};
  const int64_t B = 3, C = 2, M = 24;
  BatchNorm<double> bn(in, 0.1, 1e-5, false);
  auto b = test::bind_random(bn, 5);
  Rng rng(2);
  bn.init(rng);
  PassContext ctx;
  ctx.training = true;
  bn.set_context(&ctx);
  const auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 6, -2, 3);
  std::vector<double> y(x.size());
  bn.forward(x.data(), y.data(), B);
  for (int64_t c = 0; c < C; ++c) {
    double mean, unbiased;
    channel_stats(x, B, C, M, c, mean, unbiased);
    const double var = unbiased * static_cast<double>(B * M - 1) / static_cast<double>(B * M);
    for (int64_t i = 0; i < B * M; ++i) {
      const size_t at = static_cast<size_t>(((i / M) * C + c) * M + i % M);
      EXPECT_NEAR(y[at], (x[at] - mean) / std::sqrt(var + 1e-5), 1e-12);
    }
  }
}

TEST(BatchNormNd, SameBitsOnOneAndFourThreads) {
  const Shape in{4, 6, 6, 6};
  const int64_t B = 3;
  const auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 7), dy = test::random_doubles(x.size(), 8);
  const std::vector<float> xf(x.begin(), x.end()), dyf(dy.begin(), dy.end());
  PassContext ctx;
  ctx.training = true;
  std::vector<float> buffers(8);
  auto make = [&] {
    auto bn = std::make_unique<BatchNorm<float>>(in, 0.1, 1e-5, false);
    bn->set_context(&ctx);
    bn->bind_buffers(buffers.data(), nullptr);
    return bn;
  };
  EXPECT_TRUE(
      test::bitwise_equal(test::pass_bits<float>(make, xf, dyf, B, 1), test::pass_bits<float>(make, xf, dyf, B, 4)));
}

}  // namespace
}  // namespace dpt
