// ConvTranspose<double> (conv_transpose2d / 3d; rank 1 too): forward against naive loops, input and
// parameter gradients against central finite differences (kernel 2 stride 2 as U-Nets use it, odd
// sizes with every axis different, padding, dilation, output_padding, several blocks); forward is
// the input gradient of the convolution it transposes; the accumulate / overwrite contract;
// independence of the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "conv_nd_reference.hpp"
#include "grad_check.hpp"
#include "layers/conv_nd.hpp"
#include "layers/conv_transpose.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

using test::NdGeom;
using test::random_doubles;

struct TCase {
  int rank;
  NdGeom g;
  bool bias;
};

ConvTransposeSpec spec_of(const TCase& c) {
  return ConvTransposeSpec{c.rank, c.g.O, c.g.k, c.g.s, c.g.p, c.g.d, c.g.op, c.bias, Init::TorchDefault};
}
Shape in_of(const TCase& c) { return shape_of(c.g.C, c.g.in, c.rank); }

class ConvTransposeGradients : public ::testing::TestWithParam<TCase> {};

TEST_P(ConvTransposeGradients, ForwardMatchesNaiveLoopsAndGradientsMatchFiniteDifferences) {
  const TCase c = GetParam();
  const NdGeom& g = c.g;
  ConvTranspose<double> layer(in_of(c), spec_of(c));
  ASSERT_EQ(layer.out_shape(), shape_of(g.O, {g.tconv_out(0), g.tconv_out(1), g.tconv_out(2)}, c.rank));
  auto bound = test::bind_random(layer, 1);
  auto x = random_doubles(static_cast<size_t>(g.B * numel(layer.in_shape())), 2);
  const size_t nW = static_cast<size_t>(g.C * g.O * g.k[0] * g.k[1] * g.k[2]);
  const std::vector<double> W(bound.params.begin(), bound.params.begin() + static_cast<long>(nW)),
      bias(bound.params.begin() + static_cast<long>(nW), bound.params.end());
  std::vector<double> y(static_cast<size_t>(g.B * numel(layer.out_shape())), std::nan(""));
  layer.forward(x.data(), y.data(), g.B);
  const auto want = test::naive_conv_transpose(g, x, W, bias);
  ASSERT_EQ(y.size(), want.size());
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-13) << i;
  test::check_layer_gradients(layer, bound, x, g.B, 3);
}

// rank, {B, C_in, C_out, in (D, H, W), k, s, p, d, groups, output_padding}, bias
INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTransposeGradients,
    ::testing::Values(
        TCase{2, {3, 3, 2, {1, 4, 5}, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}, {1, 1, 1}}, true},                // U-Net 2-D
        TCase{3, {2, 2, 3, {3, 2, 4}, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}}, true},                // U-Net 3-D
        TCase{3, {2, 3, 2, {3, 4, 2}, {3, 2, 3}, {2, 1, 3}, {1, 0, 2}, {1, 1, 1}, 1, {1, 0, 2}}, true},  // all differ
        TCase{2, {2, 2, 3, {1, 5, 4}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {1, 1, 2}, 1, {0, 1, 0}}, false},
        TCase{2, {1, 2, 2, {1, 3, 3}, {1, 3, 3}, {1, 1, 1}, {0, 2, 2}, {1, 1, 1}}, true},  // padding = k - 1
        TCase{1, {3, 2, 3, {1, 1, 7}, {1, 1, 4}, {1, 1, 3}, {0, 0, 1}, {1, 1, 1}, 1, {0, 0, 2}}, true},  // rank 1
        TCase{2, {50, 2, 2, {1, 3, 4}, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}, {1, 1, 1}}, true}),              // blocks of 21
    [](const ::testing::TestParamInfo<TCase>& info) { return "case" + std::to_string(info.index); });

TEST(ConvTranspose, DeclaresPyTorchLayoutShapesAndType) {
  ConvTranspose<double> t2({8, 5, 6}, ConvTransposeSpec{2, 4, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}});
  EXPECT_EQ(t2.type(), "conv_transpose2d");
  EXPECT_EQ(t2.out_shape(), (Shape{4, 10, 12}));
  EXPECT_EQ(t2.params()[0].shape, (Shape{8, 4, 2, 2}));
  EXPECT_EQ(t2.params()[1].shape, (Shape{4}));
  EXPECT_EQ(t2.describe(), "conv_transpose2d 8->4 2x2 s2x2 p0x0");
  ConvTranspose<double> t3({2, 3, 4, 5},
                           ConvTransposeSpec{3, 6, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 0, 1}, false});
  EXPECT_EQ(t3.type(), "conv_transpose3d");
  EXPECT_EQ(t3.out_shape(), (Shape{6, 6, 7, 10}));  // (n - 1)*2 - 2 + 2 + op + 1
  ASSERT_EQ(t3.params().size(), 1u);
  EXPECT_EQ(t3.params()[0].shape, (Shape{2, 6, 3, 3, 3}));
}

// A transposed convolution is the input gradient of the convolution with the same weight tensor
// (read as (C_out of the conv, C_in of the conv, k...) = (C_in, C_out, k...) here).
TEST(ConvTranspose, ForwardIsTheInputGradientOfTheConvolution) {
  const int64_t B = 5;
  const std::array<int64_t, 3> k{3, 2, 3}, s{2, 2, 1}, p{1, 0, 1}, d{1, 1, 2};
  ConvTranspose<double> t({4, 3, 3, 5}, ConvTransposeSpec{3, 2, k, s, p, d, {1, 1, 0}, false});
  ConvNd<double> conv(t.out_shape(), ConvNdSpec{3, 4, k, s, p, d, 1, false});
  ASSERT_EQ(conv.out_shape(), t.in_shape());
  std::vector<double> W = random_doubles(static_cast<size_t>(numel(t.params()[0].shape)), 3), gt(W.size()),
                      gc(W.size());
  t.bind(W.data(), gt.data());
  conv.bind(W.data(), gc.data());
  const auto x = random_doubles(static_cast<size_t>(B * numel(t.in_shape())), 4);
  const auto xc = random_doubles(static_cast<size_t>(B * numel(conv.in_shape())), 5);
  std::vector<double> y(static_cast<size_t>(B * numel(t.out_shape()))), dx(y.size()), yc(x.size());
  t.forward(x.data(), y.data(), B);
  conv.backward(xc.data(), yc.data(), x.data(), dx.data(), B);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], dx[i], 1e-13) << i;
}

TEST(ConvTranspose, BackwardAccumulatesParameterGradientsAndOverwritesDx) {
  ConvTranspose<double> layer({3, 2, 3, 4}, ConvTransposeSpec{3, 2, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}});
  auto bound = test::bind_random(layer, 4);
  const int64_t B = 3;
  const auto x = random_doubles(static_cast<size_t>(B * numel(layer.in_shape())), 5);
  const auto dy = random_doubles(static_cast<size_t>(B * numel(layer.out_shape())), 6);
  std::vector<double> y(dy.size()), dx1(x.size(), 1e30), dx2(x.size(), -1e30);
  layer.forward(x.data(), y.data(), B);
  layer.backward(x.data(), y.data(), dy.data(), dx1.data(), B);
  const auto once = bound.grads;
  layer.backward(x.data(), y.data(), dy.data(), dx2.data(), B);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(bound.grads[i], 2 * once[i], 1e-14 * std::abs(once[i])) << i;
  EXPECT_EQ(dx1, dx2);
  layer.backward(x.data(), y.data(), dy.data(), nullptr, B);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(bound.grads[i], 3 * once[i], 1e-14 * std::abs(once[i])) << i;
}

TEST(ConvTranspose, ResultsDoNotDependOnThreadCount) {
  for (const TCase& c :
       {TCase{3, {9, 8, 4, {3, 4, 5}, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}}, true},
        TCase{2, {45, 6, 3, {1, 5, 7}, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {1, 1, 1}, 1, {0, 1, 1}}, true}}) {
    const Shape in = in_of(c);
    ConvTranspose<float> probe(in, spec_of(c));
    const auto xd = random_doubles(static_cast<size_t>(c.g.B * numel(in)), 11);
    const auto dyd = random_doubles(static_cast<size_t>(c.g.B * numel(probe.out_shape())), 12);
    const std::vector<float> x(xd.begin(), xd.end()), dy(dyd.begin(), dyd.end());
    auto make = [&] { return std::make_unique<ConvTranspose<float>>(in, spec_of(c)); };
    const auto one = test::pass_bits(make, x, dy, c.g.B, 1), three = test::pass_bits(make, x, dy, c.g.B, 3);
    EXPECT_TRUE(test::bitwise_equal(one, three)) << c.rank;
  }
}

}  // namespace
}  // namespace dpt
