// The activations of layer graphs, Activation<double>: leaky_relu (any negative slope), gelu (exact
// erf form and the tanh approximation) and identity: names, values against their definitions, input
// gradients against central finite differences (they have no parameters), and the factory options.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <vector>

#include "grad_check.hpp"
#include "layers/activation.hpp"
#include "layers/layer_factory.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

using test::random_doubles;

double phi_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

TEST(LeakyRelu, ValuesNamesAndSlope) {
  Activation<double> a({2, 3}, Act::LeakyRelu, 0.2);
  EXPECT_EQ(a.type(), "leaky_relu");
  EXPECT_EQ(a.describe(), "leaky_relu (2, 3) slope 0.2");
  EXPECT_EQ(a.out_shape(), (Shape{2, 3}));
  const std::vector<double> x = {-5, -0.5, 0, 1e-9, 2, 7}, dy = {1, 2, 3, 4, 5, 6};
  std::vector<double> y(6), dx(6);
  a.forward(x.data(), y.data(), 1);
  EXPECT_EQ(y, (std::vector<double>{-1, -0.1, 0, 1e-9, 2, 7}));
  a.backward(x.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_EQ(dx, (std::vector<double>{0.2, 0.4, 0.6000000000000001, 4, 5, 6}));  // x = 0: the slope, as PyTorch
  a.backward(x.data(), y.data(), dy.data(), nullptr, 1);                        // no dx wanted: a no-op
}

TEST(LeakyRelu, InputGradientMatchesFiniteDifferences) {
  for (const double slope : {0.01, 0.3, 0.0, 1.0})
    for (const int64_t B : {int64_t{1}, int64_t{3}}) {
      SCOPED_TRACE(::testing::Message() << "slope " << slope << " B=" << B);
      Activation<double> a({3, 5, 7}, Act::LeakyRelu, slope);
      auto x = random_doubles(static_cast<size_t>(B * 105), 1, -3, 3);
      test::Bound<double> none;
      test::check_layer_gradients(a, none, x, B, 2);
    }
}

TEST(Gelu, ExactAndTanhValues) {
  Activation<double> exact({4}, Act::Gelu), approx({4}, Act::GeluTanh);
  EXPECT_EQ(exact.type(), "gelu");
  EXPECT_EQ(approx.type(), "gelu");
  EXPECT_EQ(approx.describe(), "gelu (4) (tanh approximation)");
  const std::vector<double> x = {-30, -1.5, 0, 0.25, 1, 3, 40, -1e-3};
  std::vector<double> y(8);
  exact.forward(x.data(), y.data(), 2);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], x[i] * phi_cdf(x[i]), 1e-15 * (1 + std::abs(x[i]))) << i;
  EXPECT_EQ(y[0], -0.0);  // far left: 0, not NaN
  EXPECT_EQ(y[6], 40.0);
  approx.forward(x.data(), y.data(), 2);
  const double c = std::sqrt(2 / M_PI);
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = 0.5 * x[i] * (1 + std::tanh(c * (x[i] + 0.044715 * x[i] * x[i] * x[i])));
    EXPECT_NEAR(y[i], want, 1e-15 * (1 + std::abs(x[i]))) << i;
  }
  // The two forms differ by at most about 5e-4 (the tanh form's known error).
  std::vector<double> ye(8);
  exact.forward(x.data(), ye.data(), 2);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], ye[i], 1e-3) << i;
}

TEST(Gelu, InputGradientsMatchFiniteDifferences) {
  for (const Act act : {Act::Gelu, Act::GeluTanh})
    for (const int64_t B : {int64_t{1}, int64_t{3}}) {
      SCOPED_TRACE(::testing::Message() << (act == Act::Gelu ? "exact" : "tanh") << " B=" << B);
      Activation<double> a({3, 5, 7}, act);
      auto x = random_doubles(static_cast<size_t>(B * 105), 3, -5, 5);
      test::Bound<double> none;
      test::check_layer_gradients(a, none, x, B, 4);
    }
}

TEST(Identity, CopiesValuesAndGradients) {
  Activation<double> id({3, 4, 5}, Act::Identity);
  EXPECT_EQ(id.type(), "identity");
  EXPECT_EQ(id.describe(), "identity (3, 4, 5)");
  EXPECT_TRUE(id.params().empty());
  auto x = random_doubles(120, 5);
  const auto dy = random_doubles(120, 6);
  std::vector<double> y(120, std::nan("")), dx(120, std::nan(""));
  id.forward(x.data(), y.data(), 2);
  id.backward(x.data(), y.data(), dy.data(), dx.data(), 2);
  EXPECT_EQ(y, x);
  EXPECT_EQ(dx, dy);
  test::Bound<double> none;
  test::check_layer_gradients(id, none, x, 2, 7);
}

std::unique_ptr<Layer<double>> build(const std::string& yaml, Shape in = {6}) {
  return make_layer<double>(YAML::Load(yaml), 2, in, "net.yaml");
}

TEST(ActivationFactory, OptionsDefaultsAndErrors) {
  const std::vector<double> x = {-2.0};
  std::vector<double> y(1);
  build("{type: leaky_relu}", {1})->forward(x.data(), y.data(), 1);
  EXPECT_EQ(y[0], -0.02);  // default negative_slope 0.01
  build("{type: leaky_relu, negative_slope: 0.25}", {1})->forward(x.data(), y.data(), 1);
  EXPECT_EQ(y[0], -0.5);
  EXPECT_EQ(build("{type: gelu}")->describe(), "gelu (6)");
  EXPECT_EQ(build("{type: gelu, approximate: tanh}")->describe(), "gelu (6) (tanh approximation)");
  EXPECT_EQ(build("{type: gelu, approximate: none}", {2, 3, 3})->out_shape(), (Shape{2, 3, 3}));
  EXPECT_EQ(build("{type: identity}", {4, 2})->out_shape(), (Shape{4, 2}));
  const auto err = [](const std::string& yaml) { return test::error_of([&] { build(yaml); }); };
  std::string msg = err("{type: leaky_relu, negative_slope: 1.5}");
  EXPECT_NE(msg.find("net.yaml: model.layers[2] (leaky_relu): negative_slope = 1.5 is out of range"), std::string::npos)
      << msg;
  msg = err("{type: gelu, approximate: erf}");
  EXPECT_NE(msg.find("model.layers[2] (gelu): approximate = 'erf' is not valid: must be one of: none, tanh"),
            std::string::npos)
      << msg;
  msg = err("{type: identity, p: 1}");
  EXPECT_NE(msg.find("model.layers[2] (identity): unknown config key 'p'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace dpt
