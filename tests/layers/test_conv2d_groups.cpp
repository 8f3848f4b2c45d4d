// Conv2d<double> with dilation and groups: forward against direct loops, input and parameter
// gradients against central finite differences, for dilation 2-3, groups 2-3, depthwise
// (groups = C_in = C_out) through the direct kernel and through the per-group GEMMs, a depthwise
// multiplier (C_out = 2 C_in), strides 1-2, padding 0-2, several sample blocks; the two depthwise
// paths agree; the accumulate / overwrite contract; thread-count independence; PyTorch's layout and
// fans.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
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

struct Case {
  int64_t C, H, W, O, kh, kw, stride, pad, dil, groups, B;
  bool bias = true, direct = true;
  int64_t OH() const { return (H + 2 * pad - dil * (kh - 1) - 1) / stride + 1; }
  int64_t OW() const { return (W + 2 * pad - dil * (kw - 1) - 1) / stride + 1; }
  Conv2dSpec spec() const { return {O, kh, kw, stride, pad, bias, Init::TorchDefault, dil, groups, direct}; }
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  std::ostringstream s;
  s << "c" << c.C << "_" << c.H << "x" << c.W << "_o" << c.O << "_k" << c.kh << "x" << c.kw << "_s" << c.stride << "_p"
    << c.pad << "_d" << c.dil << "_g" << c.groups << "_b" << c.B << (c.bias ? "" : "_nobias")
    << (c.direct ? "" : "_gemm");
  return s.str();
}
void PrintTo(const Case& c, std::ostream* os) { *os << case_name({c, 0}); }

// y[b, o, oy, ox] = bias[o] + sum over c in o's group, i, j of
//   W[o, c - group start, i, j] x[b, c, oy*S - P + i*D, ox*S - P + j*D] (0 outside)
std::vector<double> direct_conv(const Case& c, const std::vector<double>& x, const std::vector<double>& p) {
  const int64_t OH = c.OH(), OW = c.OW(), cg = c.C / c.groups, og = c.O / c.groups, nW = c.O * cg * c.kh * c.kw;
  std::vector<double> y(static_cast<size_t>(c.B * c.O * OH * OW));
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t o = 0; o < c.O; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double s = c.bias ? p[static_cast<size_t>(nW + o)] : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < c.kh; ++i)
              for (int64_t j = 0; j < c.kw; ++j) {
                const int64_t yy = oy * c.stride - c.pad + i * c.dil, xx = ox * c.stride - c.pad + j * c.dil;
                if (yy < 0 || yy >= c.H || xx < 0 || xx >= c.W) continue;
                const int64_t cin = (o / og) * cg + ci;
                s += p[static_cast<size_t>(((o * cg + ci) * c.kh + i) * c.kw + j)] *
                     x[static_cast<size_t>(((b * c.C + cin) * c.H + yy) * c.W + xx)];
              }
          y[static_cast<size_t>(((b * c.O + o) * OH + oy) * OW + ox)] = s;
        }
  return y;
}

class Conv2dGroups : public ::testing::TestWithParam<Case> {};

TEST_P(Conv2dGroups, ForwardMatchesDirectLoopsAndGradientsMatchFiniteDifferences) {
  const Case c = GetParam();
  Conv2d<double> layer({c.C, c.H, c.W}, c.spec());
  ASSERT_EQ(layer.out_shape(), (Shape{c.O, c.OH(), c.OW()}));
  ASSERT_EQ(layer.params()[0].shape, (Shape{c.O, c.C / c.groups, c.kh, c.kw}));
  auto bound = test::bind_random(layer, 1);
  auto x = random_doubles(static_cast<size_t>(c.B * c.C * c.H * c.W), 2);
  std::vector<double> y(static_cast<size_t>(c.B * c.O * c.OH() * c.OW()), std::nan(""));
  layer.forward(x.data(), y.data(), c.B);
  const auto want = direct_conv(c, x, bound.params);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-13) << i;
  test::check_layer_gradients(layer, bound, x, c.B, 3);
}

// C, H, W, O, kh, kw, stride, pad, dilation, groups, B[, bias, direct depthwise]
INSTANTIATE_TEST_SUITE_P(
    DilationAndGroups, Conv2dGroups,
    ::testing::Values(Case{2, 7, 6, 3, 3, 3, 1, 0, 2, 1, 3},                 // dilation 2, valid
                      Case{3, 9, 8, 2, 3, 3, 1, 2, 2, 1, 2},                 // dilation 2, "same"
                      Case{2, 9, 7, 3, 3, 3, 2, 1, 2, 1, 3, false},          // dilation 2, stride 2, no bias
                      Case{2, 11, 9, 2, 3, 2, 1, 1, 3, 1, 2},                // dilation 3, rectangular
                      Case{4, 7, 5, 6, 3, 3, 1, 1, 1, 2, 3},                 // groups 2
                      Case{6, 8, 7, 3, 3, 3, 2, 1, 2, 3, 3},                 // groups 3, stride 2, dilation 2
                      Case{4, 6, 6, 4, 1, 1, 1, 0, 1, 2, 3},                 // grouped 1x1
                      Case{3, 7, 6, 6, 3, 3, 1, 1, 1, 3, 3},                 // depthwise multiplier 2 (GEMMs)
                      Case{4, 9, 9, 2, 3, 3, 1, 0, 1, 2, 12},                // groups 2, several sample blocks
                      Case{4, 24, 24, 2, 3, 3, 1, 1, 1, 2, 2},               // groups 2, a block per sample
                      Case{3, 7, 6, 3, 3, 3, 1, 1, 1, 3, 3},                 // depthwise, direct
                      Case{3, 7, 6, 3, 3, 3, 2, 1, 1, 3, 3},                 // depthwise stride 2, direct
                      Case{3, 8, 7, 3, 3, 3, 1, 2, 2, 3, 2, false},          // depthwise dilation 2, no bias
                      Case{2, 9, 8, 2, 5, 5, 2, 2, 1, 2, 3},                 // depthwise 5x5 stride 2
                      Case{3, 7, 6, 3, 3, 3, 2, 1, 1, 3, 3, true, false},    // depthwise stride 2, GEMMs
                      Case{3, 8, 7, 3, 3, 3, 1, 2, 2, 3, 12, true, false}),  // depthwise dilation 2, GEMMs
    case_name);

// Both depthwise paths (direct kernel, per-channel GEMMs) on one batch: y, dx and the parameter
// gradients agree to rounding, in double and in float.
template <class T>
void expect_depthwise_paths_agree(double tol) {
  const Case c{8, 13, 11, 8, 3, 3, 2, 1, 1, 8, 5};
  Case gemm = c;
  gemm.direct = false;
  const int64_t ny = c.B * c.O * c.OH() * c.OW(), nx = c.B * c.C * c.H * c.W;
  auto run = [&](const Case& k) {
    Conv2d<T> conv({k.C, k.H, k.W}, k.spec());
    auto b = test::bind_random(conv, 21);
    const auto xd = random_doubles(static_cast<size_t>(nx), 22), dyd = random_doubles(static_cast<size_t>(ny), 23);
    const std::vector<T> x(xd.begin(), xd.end()), dy(dyd.begin(), dyd.end());
    std::vector<T> y(dy.size()), dx(x.size());
    conv.forward(x.data(), y.data(), k.B);
    conv.backward(x.data(), y.data(), dy.data(), dx.data(), k.B);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), b.grads.begin(), b.grads.end());
    return y;
  };
  const auto a = run(c), g = run(gemm);
  ASSERT_EQ(a.size(), g.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], g[i], tol * (1 + std::abs(g[i]))) << i;
}

TEST(Conv2dDepthwise, DirectKernelAndGroupedGemmsAgree) {
  expect_depthwise_paths_agree<double>(1e-13);
  expect_depthwise_paths_agree<float>(2e-5);
}

TEST(Conv2dDepthwise, BackwardAccumulatesParameterGradientsAndOverwritesDx) {
  for (const bool direct : {true, false}) {
    SCOPED_TRACE(direct ? "direct" : "gemm");
    const Case c{3, 7, 6, 3, 3, 3, 2, 1, 2, 3, 3, true, direct};
    Conv2d<double> layer({c.C, c.H, c.W}, c.spec());
    auto bound = test::bind_random(layer, 4);
    const auto x = random_doubles(static_cast<size_t>(c.B * c.C * c.H * c.W), 5);
    const auto dy = random_doubles(static_cast<size_t>(c.B * c.O * c.OH() * c.OW()), 6);
    test::expect_backward_accumulates(layer, bound, x, dy, c.B);
    const auto thrice = bound.grads;
    std::vector<double> y(dy.size()), dx1(x.size());
    layer.forward(x.data(), y.data(), 0);  // an empty batch is a no-op
    layer.backward(x.data(), y.data(), dy.data(), dx1.data(), 0);
    EXPECT_EQ(bound.grads, thrice);
  }
}

// Grouped GEMMs (blocks of 4 samples) and the direct depthwise kernel: the same bits on 1 and 2
// threads (one BLAS thread, as train.deterministic runs).
TEST(Conv2dGroupsThreads, ResultsDoNotDependOnThreadCount) {
  for (const Case& c : {Case{32, 8, 8, 64, 3, 3, 1, 1, 1, 4, 21}, Case{32, 16, 16, 32, 3, 3, 2, 2, 2, 32, 9}}) {
    SCOPED_TRACE(case_name({c, 0}));
    const auto xd = random_doubles(static_cast<size_t>(c.B * c.C * c.H * c.W), 11);
    const auto dyd = random_doubles(static_cast<size_t>(c.B * c.O * c.OH() * c.OW()), 12);
    const std::vector<float> x(xd.begin(), xd.end()), dy(dyd.begin(), dyd.end());
    auto make = [&] { return std::make_unique<Conv2d<float>>(Shape{c.C, c.H, c.W}, c.spec()); };
    const auto one = pass_bits(make, x, dy, c.B, 1), two = pass_bits(make, x, dy, c.B, 2);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
  }
}

TEST(Conv2dGroups, LayoutFansDescriptionAndCost) {
  Conv2d<double> grouped({6, 9, 9}, Conv2dSpec{4, 3, 3, 1, 2, true, Init::TorchDefault, 2, 2});
  EXPECT_EQ(grouped.out_shape(), (Shape{4, 9, 9}));  // (9 + 4 - 5) / 1 + 1
  EXPECT_EQ(grouped.params()[0].shape, (Shape{4, 3, 3, 3}));
  EXPECT_EQ(grouped.describe(), "conv2d 6->4 3x3 s1 p2 d2 g2");
  const Cost cost = grouped.cost(1);  // one block of 1 sample: 3 GEMMs per group
  EXPECT_EQ(cost.flops, 6.0 * 4 * 27 * 81);
  ASSERT_EQ(cost.gemms.size(), 6u);
  EXPECT_EQ(cost.gemms[0].M, 2);
  EXPECT_EQ(cost.gemms[0].K, 27);
  Conv2d<double> dw({5, 8, 8}, Conv2dSpec{5, 3, 3, 2, 1, false, Init::TorchDefault, 1, 5});
  EXPECT_EQ(dw.describe(), "conv2d 5->5 3x3 s2 p1 depthwise (no bias)");
  EXPECT_EQ(dw.out_shape(), (Shape{5, 4, 4}));
  EXPECT_TRUE(dw.cost(4).gemms.empty());  // direct loops
  EXPECT_EQ(Conv2d<double>({1, 5, 5}, Conv2dSpec{1, 3, 3}).describe(), "conv2d 1->1 3x3 s1 p0");
  // torch_default: U(+-1/sqrt(fan_in)), fan_in = C_in/groups * KH*KW = 27.
  std::vector<double> params(4 * 27 + 4, 99.0), grads(params.size());
  grouped.bind(params.data(), grads.data());
  Rng rng(3);
  grouped.init(rng);
  double max_abs = 0;
  for (const double v : params) max_abs = std::max(max_abs, std::abs(v));
  EXPECT_LE(max_abs, 1 / std::sqrt(27.0));
  EXPECT_GT(max_abs, 0.8 / std::sqrt(27.0));
}

// Not a check: forward + backward times of depthwise shapes through the direct kernel and through
// per-channel GEMMs (float, one BLAS thread, best of 20). Run with
//   build-layers/tests/layers/test_layers --gtest_also_run_disabled_tests --gtest_filter='*DepthwiseTiming*'
TEST(Conv2dDepthwise, DISABLED_DepthwiseTiming) {
  for (const int threads : {1, 2})
    for (const Case& c :
         {Case{32, 28, 28, 32, 3, 3, 1, 1, 1, 32, 64}, Case{64, 14, 14, 64, 3, 3, 1, 1, 1, 64, 64},
          Case{128, 14, 14, 128, 3, 3, 2, 1, 1, 128, 64}, Case{128, 7, 7, 128, 5, 5, 1, 2, 1, 128, 64}}) {
      kern::configure_threads(threads, /*single_threaded_blas=*/true);
      double best[2] = {1e30, 1e30};
      for (const bool direct : {true, false}) {
        Case k = c;
        k.direct = direct;
        Conv2d<float> conv({k.C, k.H, k.W}, k.spec());
        auto b = test::bind_random(conv, 1);
        const auto xd = random_doubles(static_cast<size_t>(k.B * k.C * k.H * k.W), 2);
        const std::vector<float> x(xd.begin(), xd.end());
        std::vector<float> y(static_cast<size_t>(k.B * k.O * k.OH() * k.OW())), dx(x.size());
        for (int rep = 0; rep < 20; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          conv.forward(x.data(), y.data(), k.B);
          conv.backward(x.data(), y.data(), y.data(), dx.data(), k.B);
          const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          best[direct ? 0 : 1] = std::min(best[direct ? 0 : 1], ms);
        }
      }
      std::printf("%d thread(s) %s: direct %.3f ms, grouped GEMMs %.3f ms (%.1fx)\n", threads,
                  case_name({c, 0}).c_str(), best[0], best[1], best[1] / best[0]);
    }
  kern::configure_threads(1);
}

}  // namespace
}  // namespace dpt
