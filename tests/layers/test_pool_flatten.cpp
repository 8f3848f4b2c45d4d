// Pool2d<double> (max and average) and Flatten<double>: forward against direct window loops, input
// gradients against central finite differences (max pooling on tie-free inputs), at odd sizes,
// kernels 1-5, strides 1-3, padding 0-2, batch 1 and 3, several channels; GlobalAvgPool2d<double>
// (per-channel means, (C, H, W) -> (C)) the same way.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "grad_check.hpp"
#include "layers/pool2d.hpp"

namespace dpt {
namespace {

using test::random_doubles;
using Kind = Pool2d<double>::Kind;

struct PoolCase {
  Kind kind;
  int64_t C, H, W, k, stride, pad, B;
  int64_t OH() const { return (H + 2 * pad - k) / stride + 1; }
  int64_t OW() const { return (W + 2 * pad - k) / stride + 1; }
};

std::string case_name(const ::testing::TestParamInfo<PoolCase>& info) {
  const PoolCase& c = info.param;
  return std::string(c.kind == Kind::Max ? "max" : "avg") + "_c" + std::to_string(c.C) + "_" + std::to_string(c.H) +
         "x" + std::to_string(c.W) + "_k" + std::to_string(c.k) + "_s" + std::to_string(c.stride) + "_p" +
         std::to_string(c.pad) + "_b" + std::to_string(c.B);
}
void PrintTo(const PoolCase& c, std::ostream* os) { *os << case_name({c, 0}); }

// Max over the window's in-image elements (padding never wins), or the sum of the window (padding
// counts as 0) divided by k*k (count_include_pad).
std::vector<double> direct_pool(const PoolCase& c, const std::vector<double>& x) {
  std::vector<double> y(static_cast<size_t>(c.B * c.C * c.OH() * c.OW()));
  for (int64_t p = 0; p < c.B * c.C; ++p)
    for (int64_t oy = 0; oy < c.OH(); ++oy)
      for (int64_t ox = 0; ox < c.OW(); ++ox) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t i = 0; i < c.k; ++i)
          for (int64_t j = 0; j < c.k; ++j) {
            const int64_t yy = oy * c.stride - c.pad + i, xx = ox * c.stride - c.pad + j;
            if (yy < 0 || yy >= c.H || xx < 0 || xx >= c.W) continue;
            const double v = x[static_cast<size_t>((p * c.H + yy) * c.W + xx)];
            best = std::max(best, v), sum += v;
          }
        y[static_cast<size_t>((p * c.OH() + oy) * c.OW() + ox)] =
            c.kind == Kind::Max ? best : sum / static_cast<double>(c.k * c.k);
      }
  return y;
}

class PoolGradients : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolGradients, ForwardMatchesDirectLoopsAndInputGradientMatchesFiniteDifferences) {
  const PoolCase c = GetParam();
  Pool2d<double> pool({c.C, c.H, c.W}, c.kind, c.k, c.stride, c.pad);
  ASSERT_EQ(pool.out_shape(), (Shape{c.C, c.OH(), c.OW()}));
  EXPECT_TRUE(pool.params().empty());
  const size_t n = static_cast<size_t>(c.B * c.C * c.H * c.W);
  auto x = c.kind == Kind::Max ? test::distinct_doubles(n, 1) : random_doubles(n, 1);

  std::vector<double> y(static_cast<size_t>(c.B * c.C * c.OH() * c.OW()), std::nan(""));
  pool.forward(x.data(), y.data(), c.B);
  const auto want = direct_pool(c, x);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-15) << i;

  test::Bound<double> none;
  test::check_layer_gradients(pool, none, x, c.B, 2);
}

INSTANTIATE_TEST_SUITE_P(
    PoolShapes, PoolGradients,
    ::testing::Values(PoolCase{Kind::Max, 3, 7, 5, 2, 2, 0, 3},  // the 2x2 / stride 2 fast path, odd sizes
                      PoolCase{Kind::Max, 2, 6, 8, 2, 2, 0, 1},  // fast path, even sizes
                      PoolCase{Kind::Max, 2, 7, 5, 2, 1, 0, 3},  // overlapping windows
                      PoolCase{Kind::Max, 2, 7, 5, 2, 2, 1, 3},  // 2x2 with padding: general path
                      PoolCase{Kind::Max, 2, 7, 5, 3, 2, 1, 3}, PoolCase{Kind::Max, 3, 5, 7, 3, 1, 1, 1},
                      PoolCase{Kind::Max, 2, 7, 6, 5, 2, 2, 3},
                      PoolCase{Kind::Max, 2, 7, 5, 3, 3, 0, 1},  // stride 3: rows/columns left out
                      PoolCase{Kind::Max, 2, 5, 5, 1, 1, 0, 3},  // kernel 1: the identity
                      PoolCase{Kind::Avg, 3, 7, 5, 2, 2, 0, 3}, PoolCase{Kind::Avg, 2, 7, 5, 3, 2, 1, 3},
                      PoolCase{Kind::Avg, 3, 5, 7, 3, 1, 1, 1}, PoolCase{Kind::Avg, 2, 7, 6, 5, 2, 2, 3},
                      PoolCase{Kind::Avg, 2, 6, 5, 5, 1, 2, 1}, PoolCase{Kind::Avg, 2, 7, 5, 3, 3, 0, 3},
                      PoolCase{Kind::Avg, 2, 5, 5, 1, 1, 0, 1}),
    case_name);

TEST(Pool2d, HandComputedWithPadding) {
  // 3x3 image 1..9 with one negative, kernel 2, stride 2, padding 1: windows start at -1 and 1.
  const std::vector<double> x = {1, 2, 3, 4, -5, 6, 7, 8, 9};
  std::vector<double> y(4), dx(9, std::nan(""));
  Pool2d<double> mx({1, 3, 3}, Kind::Max, 2, 2, 1);
  mx.forward(x.data(), y.data(), 1);
  EXPECT_EQ(y, (std::vector<double>{1, 3, 7, 9}));  // windows {1}, {2, 3}, {4, 7}, {-5, 6, 8, 9}
  const std::vector<double> dy = {10, 20, 30, 40};
  mx.backward(x.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_EQ(dx, (std::vector<double>{10, 0, 20, 0, 0, 0, 30, 0, 40}));

  Pool2d<double> av({1, 3, 3}, Kind::Avg, 2, 2, 1);
  av.forward(x.data(), y.data(), 1);
  EXPECT_EQ(y, (std::vector<double>{0.25, 1.25, 2.75, 4.5}));  // padding counts: always / 4
  std::fill(dx.begin(), dx.end(), std::nan(""));
  av.backward(x.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_EQ(dx, (std::vector<double>{2.5, 5, 5, 7.5, 10, 10, 7.5, 10, 10}));

  // A negative image: padding never wins the max.
  const std::vector<double> neg = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
  mx.forward(neg.data(), y.data(), 1);
  EXPECT_EQ(y, (std::vector<double>{-1, -2, -4, -5}));
  EXPECT_EQ(mx.type(), "maxpool2d");
  EXPECT_EQ(av.type(), "avgpool2d");
}

TEST(Pool2d, MaxBackwardUsesItsLastForward) {
  // The argmax of a 2x2 window moves when the input changes: backward follows the last forward.
  Pool2d<double> mx({1, 2, 2}, Kind::Max, 2, 2, 0);
  const std::vector<double> a = {1, 2, 3, 4}, b = {4, 3, 2, 1}, dy = {1};
  std::vector<double> y(1), dx(4);
  mx.forward(a.data(), y.data(), 1);
  mx.backward(a.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_EQ(dx, (std::vector<double>{0, 0, 0, 1}));
  mx.forward(b.data(), y.data(), 1);
  mx.backward(b.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_EQ(dx, (std::vector<double>{1, 0, 0, 0}));
}

TEST(Flatten, CopiesInCHWOrderAndPassesGradientsThrough) {
  Flatten<double> flat({2, 3, 5});
  EXPECT_EQ(flat.type(), "flatten");
  EXPECT_EQ(flat.out_shape(), (Shape{30}));
  EXPECT_TRUE(flat.params().empty());
  for (const int64_t B : {int64_t{1}, int64_t{3}}) {
    auto x = random_doubles(static_cast<size_t>(B * 30), 4);
    std::vector<double> y(x.size(), std::nan(""));
    flat.forward(x.data(), y.data(), B);
    EXPECT_EQ(y, x);
    test::Bound<double> none;
    test::check_layer_gradients(flat, none, x, B, 5);
  }
}

TEST(GlobalAvgPool2d, MeansPerChannelAndGradientsMatchFiniteDifferences) {
  for (const Shape& in : {Shape{3, 5, 4}, Shape{1, 1, 1}, Shape{4, 7, 7}, Shape{2, 1, 9}}) {
    GlobalAvgPool2d<double> pool(in);
    EXPECT_EQ(pool.type(), "global_avgpool2d");
    EXPECT_EQ(pool.in_shape(), in);
    EXPECT_EQ(pool.out_shape(), (Shape{in[0]}));  // (C): a dense layer can follow
    EXPECT_TRUE(pool.params().empty());
    const int64_t HW = in[1] * in[2];
    for (const int64_t B : {int64_t{1}, int64_t{3}}) {
      SCOPED_TRACE(::testing::Message() << shape_str(in) << " B=" << B);
      auto x = random_doubles(static_cast<size_t>(B * numel(in)), 6);
      std::vector<double> y(static_cast<size_t>(B * in[0]), std::nan(""));
      pool.forward(x.data(), y.data(), B);
      for (int64_t p = 0; p < B * in[0]; ++p) {
        double s = 0;
        for (int64_t m = 0; m < HW; ++m) s += x[static_cast<size_t>(p * HW + m)];
        EXPECT_NEAR(y[static_cast<size_t>(p)], s / HW, 1e-15) << p;
      }
      test::Bound<double> none;
      test::check_layer_gradients(pool, none, x, B, 7);
    }
  }
  GlobalAvgPool2d<double> pool({2, 2, 2});
  EXPECT_EQ(pool.describe(), "global_avgpool2d (2, 2, 2) -> (2)");
  const std::vector<double> x = {1, 2, 3, 6, -1, -1, -1, 7}, dy = {4, -8};
  std::vector<double> y(2), dx(8, std::nan(""));
  pool.forward(x.data(), y.data(), 1);
  EXPECT_EQ(y, (std::vector<double>{3, 1}));
  pool.backward(x.data(), y.data(), dy.data(), dx.data(), 1);
  EXPECT_EQ(dx, (std::vector<double>{1, 1, 1, 1, -2, -2, -2, -2}));
  pool.backward(x.data(), y.data(), dy.data(), nullptr, 1);  // no dx wanted: a no-op
}

}  // namespace
}  // namespace dpt
