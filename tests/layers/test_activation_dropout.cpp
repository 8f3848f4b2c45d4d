// Activation<double> (sigmoid, tanh) and Dropout: values, input gradients against central finite
// differences, and dropout's mask contract: a pure function of (seed, step, layer, global sample
// position, element), so a batch split across ranks draws exactly the mask of the whole batch.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "grad_check.hpp"
#include "kernels/threads.hpp"
#include "layers/activation.hpp"
#include "layers/dropout.hpp"

namespace dpt {
namespace {

using test::random_doubles;

TEST(Activation, SigmoidAndTanhValuesAndNames) {
  const std::vector<double> x = {-30, -2, -0.5, 0, 0.5, 2, 30, 1e-3};  // (2, 4)
  std::vector<double> y(8);
  Activation<double> sig({4}, Act::Sigmoid), th({2, 2}, Act::Tanh);
  EXPECT_EQ(sig.type(), "sigmoid");
  EXPECT_EQ(th.type(), "tanh");
  EXPECT_EQ(th.out_shape(), (Shape{2, 2}));
  sig.forward(x.data(), y.data(), 2);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], 1 / (1 + std::exp(-x[i])), 1e-16) << i;
  EXPECT_EQ(y[3], 0.5);
  th.forward(x.data(), y.data(), 2);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], std::tanh(x[i]), 1e-16) << i;
  EXPECT_EQ(y[0], -1.0);
  // float: large |x| saturates without inf or NaN.
  Activation<float> sigf({4}, Act::Sigmoid);
  const std::vector<float> xf = {-100, -89, 89, 100};
  std::vector<float> yf(4);
  sigf.forward(xf.data(), yf.data(), 1);
  EXPECT_EQ(yf[0], 0.0f);
  EXPECT_EQ(yf[3], 1.0f);
  for (const float v : yf) EXPECT_TRUE(std::isfinite(v));
}

TEST(Activation, SigmoidAndTanhInputGradientsMatchFiniteDifferences) {
  for (const Act act : {Act::Sigmoid, Act::Tanh})
    for (const int64_t B : {int64_t{1}, int64_t{3}}) {
      SCOPED_TRACE(::testing::Message() << (act == Act::Sigmoid ? "sigmoid" : "tanh") << " B=" << B);
      Activation<double> a({3, 5, 7}, act);
      auto x = random_doubles(static_cast<size_t>(B * 105), 1, -4, 4);
      test::Bound<double> none;
      test::check_layer_gradients(a, none, x, B, 2);
    }
}

// A Dropout<double> on (D) with a context.
struct DropoutFixture {
  explicit DropoutFixture(double p, int64_t D = 37, size_t index = 3) : layer({D}, p, index), D(D) {
    ctx.training = true, ctx.seed = 1234, ctx.step = 7;
    layer.set_context(&ctx);
  }
  // The mask this layer draws for B samples at the context's position: y for x = 1.
  std::vector<double> mask(int64_t B) {
    const std::vector<double> ones(static_cast<size_t>(B * D), 1.0);
    std::vector<double> y(ones.size(), std::nan(""));
    layer.forward(ones.data(), y.data(), B);
    return y;
  }
  Dropout<double> layer;
  int64_t D;
  PassContext ctx;
};

TEST(Dropout, EvaluationModeAndNoContextAreTheIdentity) {
  Dropout<double> bare({4, 5}, 0.5, 0);  // no context: evaluation
  EXPECT_EQ(bare.type(), "dropout");
  EXPECT_EQ(bare.out_shape(), (Shape{4, 5}));
  const auto x = random_doubles(60, 1), dy = random_doubles(60, 2);
  std::vector<double> y(60), dx(60);
  bare.forward(x.data(), y.data(), 3);
  bare.backward(x.data(), y.data(), dy.data(), dx.data(), 3);
  EXPECT_EQ(y, x);
  EXPECT_EQ(dx, dy);

  DropoutFixture f(0.5, 20);
  f.ctx.training = false;
  f.layer.forward(x.data(), y.data(), 3);
  f.layer.backward(x.data(), y.data(), dy.data(), dx.data(), 3);
  EXPECT_EQ(y, x);
  EXPECT_EQ(dx, dy);

  DropoutFixture zero(0.0, 20);  // p = 0 in training: the identity too
  zero.layer.forward(x.data(), y.data(), 3);
  EXPECT_EQ(y, x);
}

TEST(Dropout, KeptElementsAreScaledAndTheZeroFractionIsNearP) {
  for (const double p : {0.1, 0.3, 0.5, 0.9}) {
    SCOPED_TRACE(p);
    DropoutFixture f(p, 1000);
    constexpr int64_t B = 64;
    const auto x = random_doubles(B * 1000, 3);
    std::vector<double> y(x.size());
    f.layer.forward(x.data(), y.data(), B);
    const double keep = 1.0 / (1.0 - p);
    int64_t zeros = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (y[i] == 0.0)
        ++zeros;
      else
        ASSERT_EQ(y[i], x[i] * keep) << i;
    }
    // 64000 Bernoulli(p) draws: standard deviation <= 0.002; allow 5 of them.
    EXPECT_NEAR(static_cast<double>(zeros) / static_cast<double>(x.size()), p, 0.01);
    // The mask has no structure by row or column: every row and every column drops some.
    const auto m = f.mask(B);
    for (int64_t b = 0; b < B; ++b) {
      int64_t row_zeros = 0;
      for (int64_t j = 0; j < 1000; ++j) row_zeros += m[b * 1000 + j] == 0.0;
      EXPECT_NEAR(static_cast<double>(row_zeros) / 1000, p, 0.08) << "row " << b;
    }
  }
}

TEST(Dropout, SameSeedStepAndOffsetGiveTheSameMask) {
  DropoutFixture a(0.5), b(0.5);
  const auto m = a.mask(8);
  EXPECT_EQ(m, a.mask(8));  // again
  EXPECT_EQ(m, b.mask(8));  // another instance
  // Different step, seed or layer index: a different mask.
  b.ctx.step = 8;
  EXPECT_NE(m, b.mask(8));
  b.ctx.step = 7, b.ctx.seed = 1235;
  EXPECT_NE(m, b.mask(8));
  DropoutFixture other_layer(0.5, 37, 4);
  EXPECT_NE(m, other_layer.mask(8));
  // Different sample offset: different rows.
  b.ctx.seed = 1234, b.ctx.sample_offset = 1;
  const auto shifted = b.mask(8);
  EXPECT_NE(std::vector<double>(m.begin(), m.begin() + 37), std::vector<double>(shifted.begin(), shifted.begin() + 37));
  // ... but the same mask for the same global sample: row 1 of offset 0 is row 0 of offset 1.
  EXPECT_EQ(std::vector<double>(m.begin() + 37, m.end()), std::vector<double>(shifted.begin(), shifted.end() - 37));
}

TEST(Dropout, BatchSplitInSlicesDrawsTheMaskOfTheWholeBatch) {
  constexpr int64_t B = 10;
  DropoutFixture whole(0.4);
  const auto m = whole.mask(B);
  // Halves with sample offsets 0 and B/2 (two ranks), and uneven thirds (three ranks).
  for (const std::vector<int64_t>& cuts : {std::vector<int64_t>{0, 5, 10}, std::vector<int64_t>{0, 3, 6, 10}}) {
    std::vector<double> joined;
    for (size_t r = 0; r + 1 < cuts.size(); ++r) {
      DropoutFixture rank(0.4);
      rank.ctx.sample_offset = cuts[r];
      const auto part = rank.mask(cuts[r + 1] - cuts[r]);
      joined.insert(joined.end(), part.begin(), part.end());
    }
    EXPECT_EQ(joined, m);
  }
}

TEST(Dropout, MaskDoesNotDependOnTheThreadCount) {
  DropoutFixture f(0.5, 3000);
  kern::configure_threads(1);
  const auto one = f.mask(40);
  kern::configure_threads(2);
  const auto two = f.mask(40);
  EXPECT_EQ(one, two);
}

TEST(Dropout, TrainingGradientIsTheMaskAndMatchesFiniteDifferences) {
  for (const int64_t B : {int64_t{1}, int64_t{3}}) {
    DropoutFixture f(0.3, 2 * 5 * 7);
    auto x = random_doubles(static_cast<size_t>(B * f.D), 5);
    test::Bound<double> none;
    test::check_layer_gradients(f.layer, none, x, B, 6);  // every forward draws the same mask
    const auto m = f.mask(B);
    const auto dy = random_doubles(x.size(), 7);
    std::vector<double> y(x.size()), dx(x.size(), std::nan(""));
    f.layer.forward(x.data(), y.data(), B);
    f.layer.backward(x.data(), y.data(), dy.data(), dx.data(), B);
    for (size_t i = 0; i < dx.size(); ++i) EXPECT_EQ(dx[i], dy[i] * m[i]) << i;
  }
  // Evaluation mode: the gradient of the identity.
  DropoutFixture eval(0.3, 10);
  eval.ctx.training = false;
  auto x = random_doubles(30, 8);
  test::Bound<double> none;
  test::check_layer_gradients(eval.layer, none, x, 3, 9);
}

}  // namespace
}  // namespace dpt
