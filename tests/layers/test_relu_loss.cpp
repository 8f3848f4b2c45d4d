// ReLU<double> and SoftmaxCrossEntropy<double>: values by hand, gradients by finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "grad_check.hpp"
#include "layers/activation.hpp"
#include "layers/loss.hpp"

namespace dpt {
namespace {

using test::random_doubles;

TEST(ReLU, ForwardHandComputedAndShapesPreserved) {
  ReLU<double> relu({5});
  EXPECT_EQ(relu.in_shape(), (Shape{5}));
  EXPECT_EQ(relu.out_shape(), (Shape{5}));
  EXPECT_TRUE(relu.params().empty());
  const double x[] = {-2, -0.5, 0, 0.5, 3, 1, -1, 2, -3, 0.25};  // (2, 5)
  double y[10];
  relu.forward(x, y, 2);
  const double want[] = {0, 0, 0, 0.5, 3, 1, 0, 2, 0, 0.25};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(y[i], want[i]) << i;

  ReLU<double> image({2, 3});
  EXPECT_EQ(image.out_shape(), (Shape{2, 3}));
}

TEST(ReLU, InputGradientMatchesFiniteDifferences) {
  ReLU<double> relu({2, 3});
  for (const int64_t B : {int64_t{1}, int64_t{5}}) {
    SCOPED_TRACE(B);
    auto x = random_doubles(static_cast<size_t>(B * 6), 11);  // (B, 2, 3)
    for (auto& v : x)
      if (std::abs(v) < 0.05) v = v < 0 ? -0.05 : 0.05;  // keep away from the kink at 0
    const auto R = random_doubles(x.size(), 12);
    std::vector<double> y(x.size()), dx(x.size(), std::numeric_limits<double>::quiet_NaN());
    relu.forward(x.data(), y.data(), B);
    relu.backward(x.data(), y.data(), R.data(), dx.data(), B);
    test::expect_gradient_matches("dx", dx, x, [&] { return test::weighted_output_sum(relu, x, R, B); });
    // dx is R where x > 0 and exactly 0 elsewhere.
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(dx[i], x[i] > 0 ? R[i] : 0.0) << i;
  }
  // A null dx (ReLU as the first layer) is allowed.
  const double x[] = {1.0}, y[] = {1.0}, dy[] = {1.0};
  EXPECT_NO_THROW(relu.backward(x, y, dy, nullptr, 1));
}

TEST(Loss, SoftmaxCrossEntropyGradientMatchesFiniteDifferences) {
  constexpr int64_t B = 4, C = 5;
  SoftmaxCrossEntropy<double> loss;
  EXPECT_EQ(loss.name(), "cross_entropy");
  auto z = random_doubles(B * C, 21, -3, 3);  // (B, C)
  const int32_t labels[] = {0, 4, 2, 2};
  const double scale = 1.0 / B;
  std::vector<double> dz(z.size(), std::numeric_limits<double>::quiet_NaN());
  loss.compute(z.data(), Targets{labels}, B, C, scale, dz.data());
  // The gradient is that of the mean loss: loss_sum * grad_scale.
  test::expect_gradient_matches(
      "dz", dz, z, [&] { return loss.compute(z.data(), Targets{labels}, B, C, scale, nullptr).loss_sum * scale; });
}

TEST(Loss, SoftmaxCrossEntropyValueByHand) {
  // Row 0: logits [0, ln 3], label 1 -> ln(4/3), correct. Row 1: [2, 0], label 1 -> ln(1 + e^2), wrong.
  SoftmaxCrossEntropy<double> loss;
  const double z[] = {0, std::log(3.0), 2, 0};
  const int32_t labels[] = {1, 1};
  const auto r = loss.compute(z, Targets{labels}, 2, 2, 0.5, nullptr);
  EXPECT_NEAR(r.loss_sum, std::log(4.0 / 3.0) + std::log(1 + std::exp(2.0)), 1e-14);
  EXPECT_EQ(r.correct, 1);
  // An empty batch contributes nothing.
  const auto empty = loss.compute(nullptr, Targets{nullptr}, 0, 2, 1.0, nullptr);
  EXPECT_EQ(empty.loss_sum, 0.0);
  EXPECT_EQ(empty.correct, 0);
}

TEST(Loss, MakeLossByName) {
  EXPECT_EQ(make_loss<double>("cross_entropy")->name(), "cross_entropy");
  EXPECT_EQ(make_loss<double>("mse")->name(), "mse");
  try {
    make_loss<float>("mae");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown loss 'mae'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cross_entropy or mse"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpt
