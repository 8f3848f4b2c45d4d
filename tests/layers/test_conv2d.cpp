// Conv2d<double>: forward against direct convolution loops, input and parameter gradients against
// central finite differences, at odd image sizes, strides 1 and 2, padding 0-2, kernels 1-5,
// rectangular kernels, batch 1, 3 and 12 (several sample groups), 3x3 stride 1 both by Winograd
// (the default there) and by im2col; the accumulate / overwrite contract of backward; independence
// of the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "grad_check.hpp"
#include "kernels/threads.hpp"
#include "layers/conv2d.hpp"

namespace dpt {
namespace {

using test::pass_bits;
using test::random_doubles;

struct ConvCase {
  int64_t C, H, W, O, kh, kw, stride, pad, B;
  bool bias;
  ConvAlgo algo = ConvAlgo::Auto;  // auto: Winograd for 3x3 stride 1, im2col otherwise
};

std::string case_name(const ::testing::TestParamInfo<ConvCase>& info) {
  const ConvCase& c = info.param;
  std::ostringstream s;
  s << "c" << c.C << "_" << c.H << "x" << c.W << "_o" << c.O << "_k" << c.kh << "x" << c.kw << "_s" << c.stride << "_p"
    << c.pad << "_b" << c.B << (c.bias ? "_bias" : "_nobias") << (c.algo == ConvAlgo::Im2col ? "_im2col" : "");
  return s.str();
}
void PrintTo(const ConvCase& c, std::ostream* os) { *os << case_name({c, 0}); }

Conv2d<double> make(const ConvCase& c) {
  Conv2dSpec spec{c.O, c.kh, c.kw, c.stride, c.pad, c.bias};
  spec.algo = c.algo;
  return Conv2d<double>({c.C, c.H, c.W}, spec);
}

// y[b, o, oy, ox] = bias[o] + sum_{c, i, j} W[o, c, i, j] x[b, c, oy*S - P + i, ox*S - P + j] (0 outside)
std::vector<double> direct_conv(const ConvCase& c, const std::vector<double>& x, const std::vector<double>& p) {
  const int64_t OH = (c.H + 2 * c.pad - c.kh) / c.stride + 1, OW = (c.W + 2 * c.pad - c.kw) / c.stride + 1;
  std::vector<double> y(static_cast<size_t>(c.B * c.O * OH * OW));
  const int64_t nW = c.O * c.C * c.kh * c.kw;
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t o = 0; o < c.O; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double s = c.bias ? p[static_cast<size_t>(nW + o)] : 0.0;
          for (int64_t ci = 0; ci < c.C; ++ci)
            for (int64_t i = 0; i < c.kh; ++i)
              for (int64_t j = 0; j < c.kw; ++j) {
                const int64_t yy = oy * c.stride - c.pad + i, xx = ox * c.stride - c.pad + j;
                if (yy < 0 || yy >= c.H || xx < 0 || xx >= c.W) continue;
                s += p[static_cast<size_t>(((o * c.C + ci) * c.kh + i) * c.kw + j)] *
                     x[static_cast<size_t>(((b * c.C + ci) * c.H + yy) * c.W + xx)];
              }
          y[static_cast<size_t>(((b * c.O + o) * OH + oy) * OW + ox)] = s;
        }
  return y;
}

class Conv2dGradients : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dGradients, ForwardMatchesDirectLoopsAndGradientsMatchFiniteDifferences) {
  const ConvCase c = GetParam();
  auto layer = make(c);
  const int64_t OH = (c.H + 2 * c.pad - c.kh) / c.stride + 1, OW = (c.W + 2 * c.pad - c.kw) / c.stride + 1;
  ASSERT_EQ(layer.out_shape(), (Shape{c.O, OH, OW}));
  auto bound = test::bind_random(layer, 1);
  auto x = random_doubles(static_cast<size_t>(c.B * c.C * c.H * c.W), 2);

  std::vector<double> y(static_cast<size_t>(c.B * c.O * OH * OW), std::nan(""));
  layer.forward(x.data(), y.data(), c.B);
  const auto want = direct_conv(c, x, bound.params);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-13) << i;

  test::check_layer_gradients(layer, bound, x, c.B, 3);
}

INSTANTIATE_TEST_SUITE_P(
    Conv2dShapes, Conv2dGradients,
    ::testing::Values(ConvCase{1, 7, 5, 1, 1, 1, 1, 0, 1, true},     // kernel 1: a per-pixel dense layer
                      ConvCase{3, 5, 4, 2, 1, 1, 1, 1, 3, true},     // kernel 1 with padding: bias-only border
                      ConvCase{2, 5, 7, 3, 1, 1, 2, 0, 3, true},     // kernel 1, stride 2
                      ConvCase{3, 7, 5, 4, 3, 3, 1, 0, 3, true},     // valid 3x3
                      ConvCase{3, 7, 5, 4, 3, 3, 1, 1, 1, false},    // "same" 3x3
                      ConvCase{2, 7, 5, 3, 3, 3, 2, 1, 3, true},     // stride 2, padding 1
                      ConvCase{2, 8, 6, 2, 3, 3, 2, 0, 3, true},     // stride 2: last row/column unused
                      ConvCase{2, 7, 5, 3, 5, 5, 2, 2, 1, true},     // 5x5, stride 2, padding 2
                      ConvCase{3, 6, 7, 2, 5, 5, 1, 2, 3, false},    // 5x5 "same"
                      ConvCase{2, 7, 5, 3, 3, 5, 1, 2, 3, true},     // rectangular kernel
                      ConvCase{1, 3, 3, 2, 3, 3, 1, 0, 3, true},     // kernel covers the whole image
                      ConvCase{2, 9, 9, 3, 3, 3, 1, 0, 12, true},    // 49 pixels (im2col: groups of 5, 5 and 2 samples)
                      ConvCase{1, 24, 24, 2, 3, 3, 1, 1, 3, true},   // 576 pixels (im2col: one sample per group)
                      ConvCase{4, 10, 10, 3, 3, 3, 1, 1, 5, false},  // Winograd: 5 samples in one block
                      ConvCase{3, 7, 5, 4, 3, 3, 1, 0, 3, true, ConvAlgo::Im2col},   // the im2col twins of
                      ConvCase{3, 7, 5, 4, 3, 3, 1, 1, 1, false, ConvAlgo::Im2col},  // the Winograd cases
                      ConvCase{2, 9, 9, 3, 3, 3, 1, 0, 12, true, ConvAlgo::Im2col},
                      ConvCase{1, 24, 24, 2, 3, 3, 1, 1, 3, true, ConvAlgo::Im2col}),
    case_name);

TEST(Conv2d, DeclaresPyTorchLayoutAndShapes) {
  Conv2d<double> conv({3, 7, 5}, Conv2dSpec{4, 3, 3, 2, 1, true});
  EXPECT_EQ(conv.type(), "conv2d");
  EXPECT_EQ(conv.in_shape(), (Shape{3, 7, 5}));
  EXPECT_EQ(conv.out_shape(), (Shape{4, 4, 3}));  // (7 + 2 - 3) / 2 + 1, (5 + 2 - 3) / 2 + 1
  const auto p = conv.params();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "weight");
  EXPECT_EQ(p[0].shape, (Shape{4, 3, 3, 3}));
  EXPECT_EQ(p[1].name, "bias");
  EXPECT_EQ(p[1].shape, (Shape{4}));
  Conv2d<double> nobias({3, 7, 5}, Conv2dSpec{4, 3, 3, 1, 0, false});
  ASSERT_EQ(nobias.params().size(), 1u);
  EXPECT_EQ(nobias.out_shape(), (Shape{4, 5, 3}));
}

TEST(Conv2d, ForwardHandComputed) {
  // 1 channel 3x3 image 1..9, 2x2 kernel [[1, 0], [0, -1]], bias 0.5, stride 1, no padding:
  // y[oy][ox] = x[oy][ox] - x[oy+1][ox+1] + 0.5 = 1 - 5 + 0.5 = -3.5 everywhere.
  Conv2d<double> conv({1, 3, 3}, Conv2dSpec{1, 2, 2, 1, 0, true});
  std::vector<double> params = {1, 0, 0, -1, 0.5}, grads(5);
  conv.bind(params.data(), grads.data());
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<double> y(4);
  conv.forward(x.data(), y.data(), 1);
  for (const double v : y) EXPECT_DOUBLE_EQ(v, -3.5);
  // Padding 1, stride 2: windows at (-1, -1), (-1, 1), (1, -1), (1, 1); only the -1 tap of the
  // first sees the image at (0, 0): 0.5 - 1.
  Conv2d<double> padded({1, 3, 3}, Conv2dSpec{1, 2, 2, 2, 1, true});
  padded.bind(params.data(), grads.data());
  padded.forward(x.data(), y.data(), 1);
  EXPECT_DOUBLE_EQ(y[0], 0.5 - 1);  // x[-1][-1] - x[0][0]
  EXPECT_DOUBLE_EQ(y[1], 0.5 - 3);  // x[-1][1]  - x[0][2]
  EXPECT_DOUBLE_EQ(y[2], 0.5 - 7);
  EXPECT_DOUBLE_EQ(y[3], 0.5 + 5 - 9);
}

TEST(Conv2d, BackwardAccumulatesParameterGradientsAndOverwritesDx) {
  // stride 2 (im2col) and stride 1 (Winograd): a 7x5 input gives 4x3 and 7x5 outputs
  for (const ConvCase& c : {ConvCase{2, 7, 5, 3, 3, 3, 2, 1, 3, true}, ConvCase{2, 7, 5, 3, 3, 3, 1, 1, 3, true}}) {
    SCOPED_TRACE(case_name({c, 0}));
    auto layer = make(c);
    auto bound = test::bind_random(layer, 4);
    const Shape out = layer.out_shape();
    const auto x = random_doubles(static_cast<size_t>(c.B * 70), 5);
    const auto dy = random_doubles(static_cast<size_t>(c.B * out[0] * out[1] * out[2]), 6);
    test::expect_backward_accumulates(layer, bound, x, dy, c.B);
  }
}

TEST(Conv2d, BackwardWithoutItsForwardAndAfterAnotherBatch) {
  // Backward must use the x it is given, even when the last forward saw another batch.
  const ConvCase c{2, 7, 5, 3, 3, 3, 1, 1, 3, true};
  auto a = make(c), fresh = make(c);
  auto pa = test::bind_random(a, 7);
  auto pf = test::bind_random(fresh, 7);
  const auto x = random_doubles(static_cast<size_t>(c.B * 70), 8), other = random_doubles(70, 9);
  const auto dy = random_doubles(static_cast<size_t>(c.B * 3 * 35), 10);
  std::vector<double> y(dy.size()), y_other(105), dx(x.size()), dx_fresh(x.size());
  a.forward(x.data(), y.data(), c.B);
  a.forward(other.data(), y_other.data(), 1);  // the cached columns now belong to `other`
  a.backward(x.data(), y.data(), dy.data(), dx.data(), c.B);
  fresh.backward(x.data(), y.data(), dy.data(), dx_fresh.data(), c.B);  // no forward at all
  EXPECT_EQ(dx, dx_fresh);
  EXPECT_EQ(pa.grads, pf.grads);

  // An empty batch is a no-op.
  a.forward(x.data(), y.data(), 0);
  a.backward(x.data(), y.data(), dy.data(), dx.data(), 0);
  EXPECT_EQ(pa.grads, pf.grads);
}

// The batch is walked in groups fixed by the geometry and the group sums run in order: forward,
// dx and the parameter gradients are the same bits for 1 and 2 threads, with the GEMMs on one
// OpenBLAS thread as train.deterministic runs them. Tested at the CNN's second conv (5 groups of 4
// samples, one of 1). (OpenBLAS's own threading is thread-count independent at this shape with its
// SkylakeX and Prescott kernels but not with Haswell's, which some machines set through
// OPENBLAS_CORETYPE: no layer can fix that, so the guarantee is made with one BLAS thread.)
TEST(Conv2d, ResultsDoNotDependOnThreadCount) {
  // 5x5: im2col; 3x3 stride 1: Winograd
  for (const ConvCase& c :
       {ConvCase{32, 12, 12, 64, 5, 5, 1, 0, 21, true}, ConvCase{16, 14, 14, 32, 3, 3, 1, 1, 9, true}}) {
    const int64_t OH = (c.H + 2 * c.pad - c.kh) / c.stride + 1, OW = (c.W + 2 * c.pad - c.kw) / c.stride + 1;
    const auto xd = random_doubles(static_cast<size_t>(c.B * c.C * c.H * c.W), 11);
    const auto dyd = random_doubles(static_cast<size_t>(c.B * c.O * OH * OW), 12);
    const std::vector<float> x(xd.begin(), xd.end()), dy(dyd.begin(), dyd.end());
    auto make = [&] {
      return std::make_unique<Conv2d<float>>(Shape{c.C, c.H, c.W},
                                             Conv2dSpec{c.O, c.kh, c.kw, c.stride, c.pad, c.bias});
    };
    const auto one = pass_bits(make, x, dy, c.B, 1), two = pass_bits(make, x, dy, c.B, 2);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0) << "C_in " << c.C;
  }
}

TEST(Conv2d, InitFollowsTorchDefaultFanIn) {
  Conv2d<double> conv({3, 7, 5}, Conv2dSpec{4, 3, 3, 1, 1, true});
  std::vector<double> params(4 * 27 + 4, 99.0), grads(params.size());
  conv.bind(params.data(), grads.data());
  Rng rng(3);
  conv.init(rng);
  const double bound = 1 / std::sqrt(27.0);  // fan_in = C_in * KH * KW
  double max_abs = 0;
  for (const double v : params) max_abs = std::max(max_abs, std::abs(v));
  EXPECT_LE(max_abs, bound);
  EXPECT_GT(max_abs, 0.8 * bound);
}

}  // namespace
}  // namespace dpt
