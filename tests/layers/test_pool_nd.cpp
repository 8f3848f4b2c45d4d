// PoolNd<double> (maxpool1d/3d, avgpool1d/3d) and GlobalAvgPool<double> over signals (C, L),
// images and volumes (C, D, H, W): forward against direct window loops written here, input
// gradients against central finite differences (max pooling on tie-free inputs), the fused ReLU
// against a ReLU then the pooling, and the same bits on 1 and 4 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "grad_check.hpp"
#include "layers/pool2d.hpp"
#include "layers/pool_nd.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

using Kind = PoolNd<double>::Kind;

struct NdCase {
  Kind kind;
  Shape in;  // (C, L) or (C, D, H, W)
  int64_t k, stride, pad, B;
};

// The pooling written out for (C, L) and (C, D, H, W): every tap of each window in order.
std::vector<double> direct(const NdCase& c, const Shape& out, const std::vector<double>& x) {
  const bool vol = c.in.size() == 4;
  const int64_t D = vol ? c.in[1] : 1, H = vol ? c.in[2] : 1, W = c.in.back();
  const int64_t OD = vol ? out[1] : 1, OH = vol ? out[2] : 1, OW = out.back(), kd = vol ? c.k : 1;
  const int64_t sd = vol ? c.stride : 1, pd = vol ? c.pad : 0;
  std::vector<double> y;
  for (int64_t p = 0; p < c.B * c.in[0]; ++p)
    for (int64_t od = 0; od < OD; ++od)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          for (int64_t i = 0; i < kd; ++i)
            for (int64_t j = 0; j < kd; ++j)
              for (int64_t l = 0; l < c.k; ++l) {
                const int64_t d = od * sd - pd + i, h = oh * sd - pd + j, w = ow * c.stride - c.pad + l;
                if (d < 0 || d >= D || h < 0 || h >= H || w < 0 || w >= W) continue;
                const double v = x[static_cast<size_t>(((p * D + d) * H + h) * W + w)];
                best = std::max(best, v), sum += v;
              }
          y.push_back(c.kind == Kind::Max ? best : sum / static_cast<double>(kd * kd * c.k));
        }
  return y;
}

class PoolNdCases : public ::testing::TestWithParam<NdCase> {};

TEST_P(PoolNdCases, ForwardMatchesDirectLoopsAndInputGradientMatchesFiniteDifferences) {
  const NdCase c = GetParam();
  PoolNd<double> pool(c.in, c.kind, c.k, c.stride, c.pad);
  Shape want_out = {c.in[0]};
  for (size_t a = 1; a < c.in.size(); ++a) want_out.push_back((c.in[a] + 2 * c.pad - c.k) / c.stride + 1);
  ASSERT_EQ(pool.out_shape(), want_out);
  const size_t n = static_cast<size_t>(c.B * numel(c.in));
  auto x = c.kind == Kind::Max ? test::distinct_doubles(n, 1) : test::random_doubles(n, 1);
  std::vector<double> y(static_cast<size_t>(c.B * numel(want_out)), std::nan(""));
  pool.forward(x.data(), y.data(), c.B);
  const auto want = direct(c, want_out, x);
  ASSERT_EQ(want.size(), y.size());
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-15) << i;
  test::Bound<double> none;
  test::check_layer_gradients(pool, none, x, c.B, 2);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PoolNdCases,
    ::testing::Values(NdCase{Kind::Max, {3, 11}, 2, 2, 0, 2}, NdCase{Kind::Max, {2, 10}, 3, 2, 1, 3},
                      NdCase{Kind::Max, {2, 9}, 3, 1, 1, 1}, NdCase{Kind::Avg, {3, 11}, 2, 2, 0, 2},
                      NdCase{Kind::Avg, {2, 10}, 5, 3, 2, 3}, NdCase{Kind::Max, {2, 5, 4, 6}, 2, 2, 0, 2},
                      NdCase{Kind::Max, {1, 5, 5, 4}, 3, 2, 1, 2}, NdCase{Kind::Avg, {2, 5, 4, 6}, 2, 2, 0, 2},
                      NdCase{Kind::Avg, {1, 4, 5, 5}, 3, 2, 1, 3}, NdCase{Kind::Avg, {2, 3, 3, 3}, 3, 1, 1, 1}));

TEST(PoolNd, TypesAndDescriptions) {
  EXPECT_EQ(PoolNd<double>({2, 8}, Kind::Max, 2, 2, 0).type(), "maxpool1d");
  EXPECT_EQ(PoolNd<double>({2, 8, 8, 8}, Kind::Avg, 3, 2, 1).describe(), "avgpool3d k3 s2 p1");
}

TEST(PoolNd, FusedReluGivesReluThenPoolingBits) {
  for (const Shape& in : {Shape{3, 13}, Shape{2, 6, 5, 7}}) {
    const int64_t B = 2;
    const auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 3);
    std::vector<double> r(x.size());
    std::transform(x.begin(), x.end(), r.begin(), [](double v) { return v > 0 ? v : 0.0; });
    PoolNd<double> plain(in, Kind::Max, 3, 2, 1), fused(in, Kind::Max, 3, 2, 1);
    ASSERT_TRUE(fused.fuse_relu_before());
    const size_t out = static_cast<size_t>(B * numel(plain.out_shape()));
    const auto dy = test::random_doubles(out, 4);
    std::vector<double> y1(out), y2(out), dx1(x.size()), dx2(x.size());
    plain.forward(r.data(), y1.data(), B);
    plain.backward(r.data(), y1.data(), dy.data(), dx1.data(), B);
    for (size_t i = 0; i < x.size(); ++i) dx1[i] = x[i] > 0 ? dx1[i] : 0.0;  // the ReLU's backward
    fused.forward(x.data(), y2.data(), B);
    fused.backward(x.data(), y2.data(), dy.data(), dx2.data(), B);
    EXPECT_EQ(y1, y2);
    EXPECT_EQ(dx1, dx2);
  }
  EXPECT_FALSE(PoolNd<double>({2, 8}, Kind::Avg, 2, 2, 0).fuse_relu_before());
}

TEST(GlobalAvgPool, MeansOverEveryPositionOfAnyRank) {
  for (const Shape& in : {Shape{3, 7}, Shape{2, 4, 3}, Shape{2, 3, 4, 5}}) {
    GlobalAvgPool<double> pool(in);
    EXPECT_EQ(pool.type(), "global_avgpool");
    EXPECT_EQ(pool.out_shape(), (Shape{in[0]}));
    const int64_t B = 3, M = numel(in) / in[0];
    auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 5);
    std::vector<double> y(static_cast<size_t>(B * in[0]));
    pool.forward(x.data(), y.data(), B);
    for (int64_t p = 0; p < B * in[0]; ++p) {
      double s = 0;
      for (int64_t m = 0; m < M; ++m) s += x[static_cast<size_t>(p * M + m)];
      EXPECT_NEAR(y[static_cast<size_t>(p)], s / static_cast<double>(M), 1e-15);
    }
    test::Bound<double> none;
    test::check_layer_gradients(pool, none, x, B, 6);
  }
  EXPECT_EQ(GlobalAvgPool<double>({2, 3, 4, 5}).describe(), "global_avgpool (2, 3, 4, 5) -> (2)");
}

TEST(PoolNd, SameBitsOnOneAndFourThreads) {
  const Shape in{4, 12, 12, 12};
  const int64_t B = 3;
  const auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 7);
  for (const Kind kind : {Kind::Max, Kind::Avg}) {
    const auto fk = kind == Kind::Max ? PoolNd<float>::Kind::Max : PoolNd<float>::Kind::Avg;
    auto make = [&] { return std::make_unique<PoolNd<float>>(in, fk, 3, 2, 1); };
    const auto dy = test::random_doubles(static_cast<size_t>(B * numel(make()->out_shape())), 8);
    const std::vector<float> xf(x.begin(), x.end()), dyf(dy.begin(), dy.end());
    EXPECT_TRUE(
        test::bitwise_equal(test::pass_bits<float>(make, xf, dyf, B, 1), test::pass_bits<float>(make, xf, dyf, B, 4)));
  }
}

}  // namespace
}  // namespace dpt
