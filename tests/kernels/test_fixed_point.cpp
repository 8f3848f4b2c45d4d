// Exact fixed-point sums (train.deterministic): reference twins, thread-count independence, and
// the property the trainer relies on: any grouping of the addends gives the same bits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernel_test_util.hpp"
#include "kernels/fixed_point.hpp"
#include "kernels/threads.hpp"

using namespace dpt;

namespace {

// 5 addends of 70,000 elements spanning 12 orders of magnitude (and some exact zeros).
std::vector<std::vector<float>> addends() {
  std::vector<std::vector<float>> a;
  for (uint64_t t = 0; t < 5; ++t) {
    auto v = test::random_vector<float>(70000, 100 + t);
    const auto mag = test::random_vector<float>(v.size(), 200 + t, -12, 0);
    for (size_t i = 0; i < v.size(); ++i) v[i] = i % 97 == 0 ? 0.0f : v[i] * std::pow(10.0f, mag[i]);
    a.push_back(std::move(v));
  }
  return a;
}

// The fixed-point sum of addends[order[0]], addends[order[1]], ... accumulated in that order and
// split into two partial sums at `split` (as two ranks would), added as integers.
std::vector<float> exact_sum(const std::vector<std::vector<float>>& a, const std::vector<size_t>& order, size_t split) {
  const int64_t n = static_cast<int64_t>(a[0].size()), blocks = kern::fixed_blocks(n);
  std::vector<float> bmax(static_cast<size_t>(blocks), 0.0f);
  for (const auto& v : a) kern::block_max_abs(v.data(), n, bmax.data());
  std::vector<int32_t> e(bmax.size()), q1(a[0].size()), q2(a[0].size());
  kern::fixed_exponents(bmax.data(), blocks, static_cast<int64_t>(a.size()), e.data());
  for (size_t k = 0; k < order.size(); ++k) {
    auto& q = k < split ? q1 : q2;
    kern::to_fixed(a[order[k]].data(), n, e.data(), q.data(), k != 0 && k != split);
  }
  for (size_t i = 0; i < q1.size(); ++i) q1[i] += q2[i];
  std::vector<float> out(a[0].size());
  kern::from_fixed(q1.data(), n, e.data(), out.data());
  return out;
}

}  // namespace

TEST(FixedPoint, AnyOrderAndSplitOfTheAddendsGivesTheSameBits) {
  const auto a = addends();
  const auto base = exact_sum(a, {0, 1, 2, 3, 4}, 5);
  EXPECT_TRUE(test::bitwise_equal(base, exact_sum(a, {4, 3, 2, 1, 0}, 5)));
  EXPECT_TRUE(test::bitwise_equal(base, exact_sum(a, {0, 1, 2, 3, 4}, 2)));
  EXPECT_TRUE(test::bitwise_equal(base, exact_sum(a, {3, 0, 4, 1, 2}, 3)));
}

TEST(FixedPoint, TheSumIsCloseToTheDoubleSumRelativeToEachBlocksLargestValue) {
  const auto a = addends();
  const auto got = exact_sum(a, {0, 1, 2, 3, 4}, 5);
  for (size_t b = 0; b < got.size(); b += kern::kFixedBlock) {
    double largest = 0;
    for (size_t i = b; i < std::min(got.size(), b + kern::kFixedBlock); ++i)
      for (const auto& v : a) largest = std::max(largest, std::fabs(static_cast<double>(v[i])));
    for (size_t i = b; i < std::min(got.size(), b + kern::kFixedBlock); ++i) {
      double want = 0;
      for (const auto& v : a) want += v[i];
      // fixed-point steps of 2^-27 of the block's largest value (5 terms), then float rounding
      ASSERT_NEAR(got[i], want, largest * 5 * std::ldexp(1.0, -27) + std::fabs(want) * 6e-8) << i;
    }
  }
}

TEST(FixedPoint, KernelsEqualTheirReferenceTwinsUnderOneAndTwoThreads) {
  const auto a = addends();
  const int64_t n = static_cast<int64_t>(a[0].size()), blocks = kern::fixed_blocks(n);
  for (int threads : {1, 2}) {
    kern::configure_threads(threads);
    std::vector<float> m1(static_cast<size_t>(blocks), 0.0f), m2(m1);
    kern::block_max_abs(a[0].data(), n, m1.data());
    kern::ref::block_max_abs(a[0].data(), n, m2.data());
    EXPECT_TRUE(test::bitwise_equal(m1, m2));
    std::vector<float> c1(a[0].size()), m3(m1.size(), 0.5f), m4(m3);  // the fused copy, on top of earlier maxima
    kern::copy_block_max_abs(a[0].data(), n, c1.data(), m3.data());
    kern::ref::copy_block_max_abs(a[0].data(), n, c1.data(), m4.data());
    EXPECT_TRUE(test::bitwise_equal(c1, a[0]));
    EXPECT_TRUE(test::bitwise_equal(m3, m4));
    EXPECT_FALSE(test::bitwise_equal(m3, m1));  // some blocks' maxima are under 0.5
    std::vector<int32_t> e(m1.size());
    kern::fixed_exponents(m1.data(), blocks, 4, e.data());
    std::vector<int32_t> q1(a[0].size(), 7), q2(q1);
    kern::to_fixed(a[1].data(), n, e.data(), q1.data(), true);
    kern::ref::to_fixed(a[1].data(), n, e.data(), q2.data(), true);
    EXPECT_EQ(q1, q2);
    std::vector<float> y1(a[0].size()), y2(y1);
    kern::from_fixed(q1.data(), n, e.data(), y1.data());
    kern::ref::from_fixed(q1.data(), n, e.data(), y2.data());
    EXPECT_TRUE(test::bitwise_equal(y1, y2));
  }
}

TEST(FixedPoint, NonFiniteValuesMakeTheBlockMaximumInfinite) {
  std::vector<float> x(600, 1.0f), bmax(3, 0.0f);
  x[10] = std::numeric_limits<float>::quiet_NaN();
  x[300] = -std::numeric_limits<float>::infinity();
  kern::block_max_abs(x.data(), 600, bmax.data());
  EXPECT_TRUE(std::isinf(bmax[0]));
  EXPECT_TRUE(std::isinf(bmax[1]));
  EXPECT_EQ(bmax[2], 1.0f);
  std::vector<float> copy(600), cmax(3, 0.0f);
  kern::copy_block_max_abs(x.data(), 600, copy.data(), cmax.data());
  EXPECT_TRUE(std::isinf(cmax[0]) && std::isinf(cmax[1]));
  EXPECT_EQ(cmax[2], 1.0f);
}

TEST(FixedPoint, ExtremeMagnitudesDoNotOverflow) {
  const float big = std::numeric_limits<float>::max() / 16, tiny = std::numeric_limits<float>::denorm_min();
  std::vector<float> bmax = {big, tiny, 0.0f};
  std::vector<int32_t> e(3);
  kern::fixed_exponents(bmax.data(), 3, 12, e.data());
  std::vector<float> x(3 * kern::kFixedBlock, 0.0f), y(x.size());
  x[0] = -big, x[kern::kFixedBlock] = tiny;
  std::vector<int32_t> q(x.size());
  kern::to_fixed(x.data(), static_cast<int64_t>(x.size()), e.data(), q.data(), false);
  for (int k = 0; k < 11; ++k) kern::to_fixed(x.data(), static_cast<int64_t>(x.size()), e.data(), q.data(), true);
  kern::from_fixed(q.data(), static_cast<int64_t>(x.size()), e.data(), y.data());
  EXPECT_EQ(y[0], -big * 12);
  EXPECT_EQ(y[kern::kFixedBlock], tiny * 12);
  EXPECT_EQ(y[2 * kern::kFixedBlock], 0.0f);
}
