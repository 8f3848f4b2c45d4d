// Dense<double>: forward against a hand computation, input and parameter gradients against central
// finite differences, and the accumulate / overwrite contract of backward.
#include <gtest/gtest.h>

#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "grad_check.hpp"
#include "layers/dense.hpp"
#include "tensor/shape.hpp"

namespace dpt {
namespace {

using test::random_doubles;

// A Dense<double> bound to its own parameter and gradient buffers.
struct DenseFixture {
  DenseFixture(Shape in, int64_t units, bool bias, uint64_t seed) : layer(in, units, bias, Init::TorchDefault) {
    int64_t n = 0;
    for (const auto& p : layer.params()) n += numel(p.shape);
    params = random_doubles(static_cast<size_t>(n), seed);
    grads.assign(params.size(), 0.0);
    layer.bind(params.data(), grads.data());
  }
  Dense<double> layer;
  std::vector<double> params, grads;  // weight (out, in) then bias (out)
};

TEST(Dense, DeclaresWeightAndBiasInPyTorchLayout) {
  Dense<double> with_bias({2, 3, 5}, 4, true, Init::TorchDefault);
  const auto p = with_bias.params();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "weight");
  EXPECT_EQ(p[0].shape, (Shape{4, 30}));
  EXPECT_EQ(p[1].name, "bias");
  EXPECT_EQ(p[1].shape, (Shape{4}));
  EXPECT_EQ(with_bias.in_shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(with_bias.out_shape(), (Shape{4}));
  EXPECT_EQ(with_bias.type(), "dense");

  Dense<double> no_bias({7}, 3, false, Init::TorchDefault);
  ASSERT_EQ(no_bias.params().size(), 1u);
  EXPECT_EQ(no_bias.params()[0].shape, (Shape{3, 7}));
}

TEST(Dense, ForwardHandComputed) {
  // W: (3, 2) = [[1, 2], [3, 4], [5, 6]], b = [0.5, -1, 0]; x: (2, 2) = [[1, -1], [2, 0.5]]
  // y = x W^T + b = [[1-2+0.5, 3-4-1, 5-6+0], [2+1+0.5, 6+2-1, 10+3+0]]
  Dense<double> layer({2}, 3, true, Init::TorchDefault);
  std::vector<double> params = {1, 2, 3, 4, 5, 6, 0.5, -1, 0}, grads(9);
  layer.bind(params.data(), grads.data());
  const double x[] = {1, -1, 2, 0.5};
  double y[6];
  layer.forward(x, y, 2);
  const double want[] = {-0.5, -2, -1, 3.5, 7, 13};
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(y[i], want[i]) << i;

  // Without bias, the output buffer is overwritten, whatever it held.
  Dense<double> nobias({2}, 3, false, Init::TorchDefault);
  nobias.bind(params.data(), grads.data());
  std::fill(std::begin(y), std::end(y), std::numeric_limits<double>::quiet_NaN());
  nobias.forward(x, y, 2);
  const double want_nobias[] = {-1, -1, -1, 3, 8, 13};
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(y[i], want_nobias[i]) << i;
}

struct DenseCase {
  Shape in;
  int64_t units, batch;
  bool bias;
};

// Readable test names: "in2x3x5_units4_batch5_bias".
std::string case_name(const ::testing::TestParamInfo<DenseCase>& info) {
  const DenseCase& c = info.param;
  std::string s = "in";
  for (size_t i = 0; i < c.in.size(); ++i) s += (i ? "x" : "") + std::to_string(c.in[i]);
  return s + "_units" + std::to_string(c.units) + "_batch" + std::to_string(c.batch) + (c.bias ? "_bias" : "_nobias");
}
void PrintTo(const DenseCase& c, std::ostream* os) { *os << case_name({c, 0}); }

class DenseGradients : public ::testing::TestWithParam<DenseCase> {};

TEST_P(DenseGradients, ForwardMatchesLoopsAndGradientsMatchFiniteDifferences) {
  const DenseCase c = GetParam();
  DenseFixture f(c.in, c.units, c.bias, 1);
  const int64_t in = numel(c.in), out = c.units, B = c.batch;
  auto x = random_doubles(static_cast<size_t>(B * in), 2);         // (B, in...)
  const auto R = random_doubles(static_cast<size_t>(B * out), 3);  // (B, out)

  // Forward: y[b][o] = sum_i x[b][i] W[o][i] + bias[o]
  std::vector<double> y(static_cast<size_t>(B * out));
  f.layer.forward(x.data(), y.data(), B);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t o = 0; o < out; ++o) {
      double want = c.bias ? f.params[static_cast<size_t>(out * in + o)] : 0.0;
      for (int64_t i = 0; i < in; ++i) want += x[b * in + i] * f.params[o * in + i];
      EXPECT_NEAR(y[b * out + o], want, 1e-13) << "b=" << b << " o=" << o;
    }

  // Backward with dy = R: dx and the parameter gradients.
  std::vector<double> dx(x.size(), std::numeric_limits<double>::quiet_NaN());
  f.layer.backward(x.data(), y.data(), R.data(), dx.data(), B);
  const auto loss = [&] { return test::weighted_output_sum(f.layer, x, R, B); };
  test::expect_gradient_matches("dx", dx, x, loss);
  test::expect_gradient_matches("dparams", f.grads, f.params, loss);
}

INSTANTIATE_TEST_SUITE_P(DenseShapes, DenseGradients,
                         ::testing::Values(DenseCase{{7}, 3, 1, true}, DenseCase{{7}, 3, 5, true},
                                           DenseCase{{7}, 3, 5, false}, DenseCase{{2, 3, 5}, 4, 1, true},
                                           DenseCase{{2, 3, 5}, 4, 5, true}, DenseCase{{2, 3, 5}, 4, 5, false},
                                           DenseCase{{1}, 1, 1, true}, DenseCase{{13}, 11, 3, true}),
                         case_name);

TEST(Dense, BackwardAccumulatesParameterGradientsAndOverwritesDx) {
  DenseFixture f({2, 3, 5}, 4, true, 4);
  constexpr int64_t B = 5;
  const auto x = random_doubles(B * 30, 5);  // (5, 2, 3, 5)
  const auto dy = random_doubles(B * 4, 6);  // (5, 4)
  std::vector<double> y(B * 4), dx1(x.size(), 1e30), dx2(x.size(), -1e30);
  f.layer.forward(x.data(), y.data(), B);

  f.layer.backward(x.data(), y.data(), dy.data(), dx1.data(), B);
  const std::vector<double> once = f.grads;
  f.layer.backward(x.data(), y.data(), dy.data(), dx2.data(), B);
  for (size_t i = 0; i < once.size(); ++i) {
    ASSERT_NE(once[i], 0.0) << i;
    EXPECT_NEAR(f.grads[i], 2 * once[i], 1e-14 * std::abs(once[i])) << i;
  }
  EXPECT_EQ(dx1, dx2);  // dx does not depend on what the buffer held

  // dx may be null (the first layer): parameter gradients are still accumulated.
  f.layer.backward(x.data(), y.data(), dy.data(), nullptr, B);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(f.grads[i], 3 * once[i], 1e-14 * std::abs(once[i])) << i;
}

TEST(Dense, InitBoundsFollowTheInitializer) {
  // (in 30, out 4): torch_default 1/sqrt(30); he_uniform sqrt(6/30); xavier_uniform sqrt(6/34)
  const struct {
    Init init;
    double weight_bound, bias_bound;
  } cases[] = {{Init::TorchDefault, 1 / std::sqrt(30.0), 1 / std::sqrt(30.0)},
               {Init::HeUniform, std::sqrt(6.0 / 30), 0.0},
               {Init::XavierUniform, std::sqrt(6.0 / 34), 0.0}};
  for (const auto& c : cases) {
    Dense<double> layer({2, 3, 5}, 4, true, c.init);
    std::vector<double> params(124, 99.0), grads(124);
    layer.bind(params.data(), grads.data());
    Rng rng(7);
    layer.init(rng);
    double max_w = 0, max_b = 0;
    for (int i = 0; i < 120; ++i) max_w = std::max(max_w, std::abs(params[i]));
    for (int i = 120; i < 124; ++i) max_b = std::max(max_b, std::abs(params[i]));
    EXPECT_LE(max_w, c.weight_bound);
    EXPECT_GT(max_w, 0.8 * c.weight_bound);  // 120 draws fill the interval
    EXPECT_LE(max_b, c.bias_bound);
  }
  EXPECT_EQ(parse_init("he_uniform"), Init::HeUniform);
  EXPECT_THROW(parse_init("glorot"), Error);
}

}  // namespace
}  // namespace dpt
