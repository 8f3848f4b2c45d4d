// ConvNd<double> (conv1d, conv3d; rank 2 too): forward against naive loops, input and parameter
// gradients against central finite differences, at odd sizes with every axis different, per-axis
// strides, padding and dilation, groups, batches that span several blocks; rank 2 gives Conv2d's
// bits; the accumulate / overwrite contract; independence of the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "conv_nd_reference.hpp"
#include "grad_check.hpp"
#include "layers/conv2d.hpp"
#include "layers/conv_nd.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

using test::NdGeom;
using test::random_doubles;

struct NdCase {
  int rank;
  NdGeom g;
  bool bias;
};

ConvNdSpec spec_of(const NdCase& c) {
  return ConvNdSpec{c.rank, c.g.O, c.g.k, c.g.s, c.g.p, c.g.d, c.g.groups, c.bias, Init::TorchDefault};
}
Shape in_of(const NdCase& c) { return shape_of(c.g.C, c.g.in, c.rank); }

class ConvNdGradients : public ::testing::TestWithParam<NdCase> {};

TEST_P(ConvNdGradients, ForwardMatchesNaiveLoopsAndGradientsMatchFiniteDifferences) {
  const NdCase c = GetParam();
  const NdGeom& g = c.g;
  ConvNd<double> layer(in_of(c), spec_of(c));
  ASSERT_EQ(layer.out_shape(), shape_of(g.O, {g.conv_out(0), g.conv_out(1), g.conv_out(2)}, c.rank));
  auto bound = test::bind_random(layer, 1);
  auto x = random_doubles(static_cast<size_t>(g.B * numel(layer.in_shape())), 2);
  const size_t nW = static_cast<size_t>(g.O * g.C / g.groups * g.k[0] * g.k[1] * g.k[2]);
  const std::vector<double> W(bound.params.begin(), bound.params.begin() + static_cast<long>(nW)),
      bias(bound.params.begin() + static_cast<long>(nW), bound.params.end());
  std::vector<double> y(static_cast<size_t>(g.B * numel(layer.out_shape())), std::nan(""));
  layer.forward(x.data(), y.data(), g.B);
  const auto want = test::naive_conv(g, x, W, bias);
  ASSERT_EQ(y.size(), want.size());
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-13) << i;
  test::check_layer_gradients(layer, bound, x, g.B, 3);
}

// rank, {B, C, O, in (D, H, W), k, s, p, d, groups}, bias
INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvNdGradients,
    ::testing::Values(
        NdCase{1, {3, 2, 3, {1, 1, 11}, {1, 1, 3}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}}, true},     // 1-D valid
        NdCase{1, {2, 3, 4, {1, 1, 13}, {1, 1, 5}, {1, 1, 2}, {0, 0, 2}, {1, 1, 1}}, false},    // 1-D stride 2
        NdCase{1, {3, 4, 6, {1, 1, 17}, {1, 1, 3}, {1, 1, 3}, {0, 0, 3}, {1, 1, 2}, 2}, true},  // dilation, groups
        NdCase{1, {40, 2, 2, {1, 1, 9}, {1, 1, 3}, {1, 1, 1}, {0, 0, 1}, {1, 1, 1}}, true},     // many blocks
        NdCase{3, {2, 2, 3, {5, 6, 7}, {3, 2, 3}, {1, 2, 1}, {1, 0, 2}, {1, 1, 2}}, true},      // every axis differs
        NdCase{3, {3, 3, 2, {4, 5, 3}, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}}, true},      // k2 s2
        NdCase{3, {2, 4, 4, {5, 4, 6}, {3, 1, 2}, {2, 1, 3}, {1, 0, 1}, {2, 1, 1}, 2}, false},  // groups 2
        NdCase{3, {1, 1, 2, {3, 3, 3}, {3, 3, 3}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}}, true},      // whole volume
        NdCase{3, {12, 2, 2, {3, 4, 5}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}}, true},     // blocks of 4
        NdCase{2, {3, 2, 3, {1, 7, 5}, {1, 3, 2}, {1, 2, 1}, {0, 1, 2}, {1, 1, 2}}, true}),     // rank 2
    [](const ::testing::TestParamInfo<NdCase>& info) { return "case" + std::to_string(info.index); });

TEST(ConvNd, DeclaresPyTorchLayoutShapesAndType) {
  ConvNd<double> c1({4, 50}, ConvNdSpec{1, 8, {1, 1, 5}, {1, 1, 2}, {0, 0, 2}, {1, 1, 1}, 2, true});
  EXPECT_EQ(c1.type(), "conv1d");
  EXPECT_EQ(c1.out_shape(), (Shape{8, 25}));
  ASSERT_EQ(c1.params().size(), 2u);
  EXPECT_EQ(c1.params()[0].shape, (Shape{8, 2, 5}));
  EXPECT_EQ(c1.params()[1].shape, (Shape{8}));
  EXPECT_EQ(c1.describe(), "conv1d 4->8 5 s2 p2 g2");
  ConvNd<double> c3({2, 8, 9, 10}, ConvNdSpec{3, 4, {3, 1, 3}, {2, 1, 1}, {1, 0, 1}, {1, 1, 2}, 1, false});
  EXPECT_EQ(c3.type(), "conv3d");
  EXPECT_EQ(c3.out_shape(), (Shape{4, 4, 9, 8}));
  ASSERT_EQ(c3.params().size(), 1u);
  EXPECT_EQ(c3.params()[0].shape, (Shape{4, 2, 3, 1, 3}));
  EXPECT_EQ(c3.describe(), "conv3d 2->4 3x1x3 s2x1x1 p1x0x1 d1x1x2 (no bias)");
}

// Rank 2 is Conv2d: the same blocks, kernels in the same order, so the same bits.
TEST(ConvNd, RankTwoGivesConv2dBits) {
  const Shape in{3, 9, 8};
  Conv2d<float> c2(in, Conv2dSpec{5, 3, 3, 2, 1, true, Init::TorchDefault, 1, 1});
  ConvNd<float> cn(in, ConvNdSpec{2, 5, {1, 3, 3}, {1, 2, 2}, {0, 1, 1}, {1, 1, 1}, 1, true});
  ASSERT_EQ(c2.out_shape(), cn.out_shape());
  const int64_t B = 13;
  const auto xd = random_doubles(static_cast<size_t>(B * numel(in)), 4);
  const auto dyd = random_doubles(static_cast<size_t>(B * numel(c2.out_shape())), 5);
  const std::vector<float> x(xd.begin(), xd.end()), dy(dyd.begin(), dyd.end());
  auto run = [&](Layer<float>& l) {
    std::vector<float> params(5 * 27 + 5), grads(params.size(), 0.f), y(dy.size()), dx(x.size());
    l.bind(params.data(), grads.data());
    Rng rng(7);
    l.init(rng);
    l.forward(x.data(), y.data(), B);
    l.backward(x.data(), y.data(), dy.data(), dx.data(), B);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), grads.begin(), grads.end());
    return y;
  };
  EXPECT_TRUE(test::bitwise_equal(run(c2), run(cn)));
}

TEST(ConvNd, BackwardAccumulatesParameterGradientsAndOverwritesDx) {
  ConvNd<double> layer({2, 5, 4, 6}, ConvNdSpec{3, 3, {3, 2, 3}, {1, 2, 1}, {1, 0, 1}, {1, 1, 1}, 1, true});
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
  layer.backward(x.data(), y.data(), dy.data(), nullptr, B);  // the first layer: no dx
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(bound.grads[i], 3 * once[i], 1e-14 * std::abs(once[i])) << i;
  layer.forward(x.data(), y.data(), 0);  // an empty batch is a no-op
  layer.backward(x.data(), y.data(), dy.data(), dx1.data(), 0);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(bound.grads[i], 3 * once[i], 1e-14 * std::abs(once[i])) << i;
}

// Blocks fixed by the geometry, sums in order, one BLAS thread: 1 and 3 threads give the same bits.
TEST(ConvNd, ResultsDoNotDependOnThreadCount) {
  for (const NdCase& c : {NdCase{3, {10, 4, 8, {6, 7, 5}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}}, true},
                          NdCase{1, {37, 3, 6, {1, 1, 29}, {1, 1, 5}, {1, 1, 2}, {0, 0, 2}, {1, 1, 1}, 3}, true}}) {
    const Shape in = in_of(c);
    ConvNd<float> probe(in, spec_of(c));
    const auto xd = random_doubles(static_cast<size_t>(c.g.B * numel(in)), 11);
    const auto dyd = random_doubles(static_cast<size_t>(c.g.B * numel(probe.out_shape())), 12);
    const std::vector<float> x(xd.begin(), xd.end()), dy(dyd.begin(), dyd.end());
    auto make = [&] { return std::make_unique<ConvNd<float>>(in, spec_of(c)); };
    const auto one = test::pass_bits(make, x, dy, c.g.B, 1), three = test::pass_bits(make, x, dy, c.g.B, 3);
    EXPECT_TRUE(test::bitwise_equal(one, three)) << c.rank;
  }
}

}  // namespace
}  // namespace dpt
