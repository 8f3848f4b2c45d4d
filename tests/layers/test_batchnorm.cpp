// BatchNorm<double> on images (C, H, W), features (D), signals (C, L) and volumes (C, D, H, W), in training mode (batch
// statistics) and evaluation mode (running statistics): forward against a direct computation, running-statistics
// updates (momentum, unbiased variance), input and parameter gradients against central finite
// differences, and the accumulate / overwrite contract of backward.
//
// Finite differences in training mode: every forward updates the running statistics, but the
// loss L = sum(y * R) depends only on y, and in training y uses only the batch statistics, so the
// drift of the running statistics during the check does not matter (checked below: y does not
// change when the running statistics do).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "grad_check.hpp"
#include "layers/batchnorm.hpp"

namespace dpt {
namespace {

using test::random_doubles;

struct BnCase {
  Shape in;
  int64_t B;
  bool training;
};

std::string case_name(const ::testing::TestParamInfo<BnCase>& info) {
  const BnCase& c = info.param;
  std::ostringstream s;
  s << "in";
  for (size_t i = 0; i < c.in.size(); ++i) s << (i ? "x" : "") << c.in[i];
  s << "_b" << c.B << (c.training ? "_train" : "_eval");
  return s.str();
}
void PrintTo(const BnCase& c, std::ostream* os) { *os << case_name({c, 0}); }

constexpr double kMomentum = 0.1, kEps = 1e-5;

// A BatchNorm<double> with gamma in [0.5, 1.5), beta in [-1, 1), running mean in [-1, 1) and
// running variance in [0.5, 2).
struct BnFixture {
  explicit BnFixture(const BnCase& c, bool sync = false) : layer(c.in, kMomentum, kEps, sync), c(c) {
    b = test::bind_random(layer, 1);
    const int64_t C = c.in[0];
    const auto g = random_doubles(static_cast<size_t>(C), 2, 0.5, 1.5);
    std::copy(g.begin(), g.end(), b.params.begin());
    const auto rm = random_doubles(static_cast<size_t>(C), 3), rv = random_doubles(static_cast<size_t>(C), 4, 0.5, 2);
    std::copy(rm.begin(), rm.end(), b.buffers.begin());
    std::copy(rv.begin(), rv.end(), b.buffers.begin() + C);
    ctx.training = c.training;
    layer.set_context(&ctx);
  }
  BatchNorm<double> layer;
  BnCase c;
  test::Bound<double> b;  // params: gamma (C), beta (C); buffers: running mean (C), running var (C)
  PassContext ctx;
};

// x with a non-zero mean per channel: uniform in [-2, 3).
std::vector<double> bn_input(const BnCase& c, uint64_t seed) {
  return random_doubles(static_cast<size_t>(c.B * numel(c.in)), seed, -2, 3);
}

class BatchNormCases : public ::testing::TestWithParam<BnCase> {};

TEST_P(BatchNormCases, ForwardAndRunningStatisticsMatchDirectComputation) {
  const BnCase c = GetParam();
  BnFixture f(c);
  const int64_t C = c.in[0], M = numel(c.in) / C;
  const auto x = bn_input(c, 5);
  const auto before = f.b.buffers;
  std::vector<double> y(x.size(), std::nan(""));
  f.layer.forward(x.data(), y.data(), c.B);
  for (int64_t ch = 0; ch < C; ++ch) {
    double mean = 0, var = 0;
    const double n = static_cast<double>(c.B * M);
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t m = 0; m < M; ++m) mean += x[(b * C + ch) * M + m] / n;
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t m = 0; m < M; ++m) var += std::pow(x[(b * C + ch) * M + m] - mean, 2) / n;  // biased
    const double rm = before[ch], rv = before[C + ch];
    const double use_mean = c.training ? mean : rm, use_var = c.training ? var : rv;
    const double gamma = f.b.params[ch], beta = f.b.params[C + ch];
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t m = 0; m < M; ++m) {
        const size_t i = static_cast<size_t>((b * C + ch) * M + m);
        ASSERT_NEAR(y[i], gamma * (x[i] - use_mean) / std::sqrt(use_var + kEps) + beta, 1e-12) << i;
      }
    // Training: running mean and (unbiased) running variance move by momentum; evaluation: untouched.
    const double want_rm = c.training ? (1 - kMomentum) * rm + kMomentum * mean : rm;
    const double want_rv = c.training ? (1 - kMomentum) * rv + kMomentum * var * n / (n - 1) : rv;
    EXPECT_NEAR(f.b.buffers[ch], want_rm, 1e-14) << "running_mean " << ch;
    EXPECT_NEAR(f.b.buffers[C + ch], want_rv, 1e-14) << "running_var " << ch;
  }
  if (c.training) {  // the output does not depend on the running statistics
    std::fill(f.b.buffers.begin(), f.b.buffers.end(), 123.0);
    std::vector<double> y2(x.size());
    f.layer.forward(x.data(), y2.data(), c.B);
    EXPECT_EQ(y, y2);
  }
}

TEST_P(BatchNormCases, InputAndParameterGradientsMatchFiniteDifferences) {
  const BnCase c = GetParam();
  BnFixture f(c);
  auto x = bn_input(c, 6);
  const auto before = f.b.buffers;
  test::check_layer_gradients(f.layer, f.b, x, c.B, 7);
  // The differenced forwards ran in the intended mode: training moved the running statistics.
  if (c.training)
    EXPECT_NE(f.b.buffers, before);
  else
    EXPECT_EQ(f.b.buffers, before);
}

TEST_P(BatchNormCases, BackwardAccumulatesParameterGradientsAndOverwritesDx) {
  const BnCase c = GetParam();
  BnFixture f(c);
  const auto x = bn_input(c, 8), dy = random_doubles(x.size(), 9);
  std::vector<double> y(x.size()), dx1(x.size(), 1e30), dx2(x.size(), -1e30);
  f.layer.forward(x.data(), y.data(), c.B);
  f.layer.backward(x.data(), y.data(), dy.data(), dx1.data(), c.B);
  const auto once = f.b.grads;
  f.layer.backward(x.data(), y.data(), dy.data(), dx2.data(), c.B);
  for (size_t i = 0; i < once.size(); ++i) {
    ASSERT_NE(once[i], 0.0) << i;
    EXPECT_NEAR(f.b.grads[i], 2 * once[i], 1e-14 * std::abs(once[i])) << i;
  }
  EXPECT_EQ(dx1, dx2);
  f.layer.backward(x.data(), y.data(), dy.data(), nullptr, c.B);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(f.b.grads[i], 3 * once[i], 1e-14 * std::abs(once[i])) << i;
}

INSTANTIATE_TEST_SUITE_P(BatchNormShapes, BatchNormCases,
                         ::testing::Values(BnCase{{3, 7, 5}, 1, true}, BnCase{{3, 7, 5}, 3, true},
                                           BnCase{{2, 5, 7}, 3, false}, BnCase{{3, 7, 5}, 1, false},
                                           BnCase{{4, 1, 1}, 3, true}, BnCase{{4}, 3, true}, BnCase{{5}, 7, true},
                                           BnCase{{4}, 1, false}, BnCase{{5}, 7, false},
                                           // signals (C, L) and volumes (C, D, H, W)
                                           BnCase{{3, 7}, 2, true}, BnCase{{2, 5}, 3, false},
                                           BnCase{{2, 3, 2, 4}, 2, true}, BnCase{{3, 2, 3, 2}, 2, false}),
                         case_name);

TEST(BatchNorm, DeclaresParametersAndBuffersAndInitializes) {
  BatchNorm<double> bn({3, 7, 5}, kMomentum, kEps, false);
  EXPECT_EQ(bn.type(), "batchnorm");
  EXPECT_EQ(bn.out_shape(), (Shape{3, 7, 5}));
  const auto p = bn.params(), q = bn.buffers();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "weight");
  EXPECT_EQ(p[1].name, "bias");
  EXPECT_EQ(p[1].shape, (Shape{3}));
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].name, "running_mean");
  EXPECT_EQ(q[1].name, "running_var");
  EXPECT_EQ(bn.running_stats(), static_cast<RunningStats<double>*>(&bn));
  EXPECT_FALSE(bn.collective());
  std::vector<double> params(6, 7.0), grads(6), buffers(6, 7.0);
  bn.bind(params.data(), grads.data());
  bn.bind_buffers(buffers.data(), nullptr);
  Rng rng(1);
  bn.init(rng);
  EXPECT_EQ(params, (std::vector<double>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(buffers, (std::vector<double>{0, 0, 0, 1, 1, 1}));
}

TEST(BatchNorm, NoContextMeansEvaluationMode) {
  BnFixture f(BnCase{{4}, 3, true});
  f.layer.set_context(nullptr);
  const auto x = bn_input(f.c, 10);
  const auto before = f.b.buffers;
  std::vector<double> y(x.size());
  f.layer.forward(x.data(), y.data(), 3);
  EXPECT_EQ(f.b.buffers, before);
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t ch = 0; ch < 4; ++ch) {
      const size_t i = static_cast<size_t>(b * 4 + ch);
      EXPECT_NEAR(y[i], f.b.params[ch] * (x[i] - before[ch]) / std::sqrt(before[4 + ch] + kEps) + f.b.params[4 + ch],
                  1e-12);
    }
}

TEST(BatchNorm, EvaluationBackwardAfterTrainingUsesRunningStatistics) {
  // A training step followed by an evaluation pass: the evaluation gradient is gamma * dy /
  // sqrt(running_var + eps), with nothing left over from the training batch.
  BnFixture f(BnCase{{3, 5, 7}, 3, true});
  auto x = bn_input(f.c, 11);
  const auto dy = random_doubles(x.size(), 12);
  std::vector<double> y(x.size()), dx(x.size());
  f.layer.forward(x.data(), y.data(), 3);
  f.layer.backward(x.data(), y.data(), dy.data(), dx.data(), 3);
  f.ctx.training = false;
  f.layer.forward(x.data(), y.data(), 3);
  f.layer.backward(x.data(), y.data(), dy.data(), dx.data(), 3);
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t ch = (i / 35) % 3;
    EXPECT_NEAR(dx[i], f.b.params[ch] * dy[i] / std::sqrt(f.b.buffers[3 + ch] + kEps), 1e-12) << i;
  }
  test::check_layer_gradients(f.layer, f.b, x, 3, 13);
}

TEST(BatchNorm, SingleSampleFeaturesInTrainingGiveBetaAndZeroInputGradient) {
  // (D) with B = 1: every feature is its own mean, the variance is 0; y = beta, dx = 0, and the
  // running variance takes the biased 0 (no division by n - 1 = 0).
  BnFixture f(BnCase{{4}, 1, true});
  const auto x = bn_input(f.c, 14), dy = random_doubles(4, 15);
  const auto before = f.b.buffers;
  std::vector<double> y(4), dx(4, std::nan(""));
  f.layer.forward(x.data(), y.data(), 1);
  f.layer.backward(x.data(), y.data(), dy.data(), dx.data(), 1);
  for (int64_t ch = 0; ch < 4; ++ch) {
    EXPECT_NEAR(y[ch], f.b.params[4 + ch], 1e-12);
    EXPECT_NEAR(dx[ch], 0.0, 1e-12);
    EXPECT_TRUE(std::isfinite(f.b.buffers[4 + ch]));
    EXPECT_NEAR(f.b.buffers[4 + ch], 0.9 * before[4 + ch], 1e-14);
  }
}

}  // namespace
}  // namespace dpt
