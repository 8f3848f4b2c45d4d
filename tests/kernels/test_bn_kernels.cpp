// Batch-norm kernels against their ref:: twins (bitwise) and direct formulas; the CNN elementwise
// kernels (sigmoid, tanh, channel bias and sums, multiply, dropout mask) against direct formulas;
// every kernel with a reduction gives bitwise the same result under 1 and 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/batchnorm.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/threads.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

template <class T>
class KernelBn : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelBn, FloatTypes);

const kern::BnShape kShapes[] = {{1, 1, 1}, {3, 3, 35}, {1, 4, 35}, {7, 5, 1}, {64, 16, 49}, {2, 100, 1}, {19, 2, 5}, {3, 2, 8}};

TYPED_TEST(KernelBn, SumsMatchReferenceAndDirectSums) {
  using T = TypeParam;
  for (const auto& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << "B" << s.B << " C" << s.C << " M" << s.M);
    const auto x = random_vector<T>(static_cast<size_t>(s.B * s.C * s.M), 1, -2, 3);
    const auto dy = random_vector<T>(x.size(), 2);
    std::vector<double> sums(2 * s.C, -1), sums_ref(2 * s.C, -2);
    kern::bn_sums(s, x.data(), sums.data());
    kern::ref::bn_sums(s, x.data(), sums_ref.data());
    for (size_t i = 0; i < sums.size(); ++i) EXPECT_NEAR(sums[i], sums_ref[i], 1e-13 * (1 + std::abs(sums_ref[i])));
    std::vector<double> mean(s.C), invstd(s.C);
    for (int64_t c = 0; c < s.C; ++c) {
      double a = 0, q = 0;
      for (int64_t b = 0; b < s.B; ++b)
        for (int64_t m = 0; m < s.M; ++m) {
          const double v = x[(b * s.C + c) * s.M + m];
          a += v, q += v * v;
        }
      EXPECT_NEAR(sums[c], a, 1e-12 * (1 + std::abs(a)));
      EXPECT_NEAR(sums[s.C + c], q, 1e-12 * (1 + q));
      mean[c] = a / (s.B * s.M), invstd[c] = 1 / std::sqrt(q / (s.B * s.M) - mean[c] * mean[c] + 1e-5);
    }
    std::vector<double> bs(2 * s.C, -1), bs_ref(2 * s.C, -2);
    kern::bn_backward_sums(s, x.data(), dy.data(), mean.data(), invstd.data(), bs.data());
    kern::ref::bn_backward_sums(s, x.data(), dy.data(), mean.data(), invstd.data(), bs_ref.data());
    for (size_t i = 0; i < bs.size(); ++i) EXPECT_NEAR(bs[i], bs_ref[i], 1e-13 * (1 + std::abs(bs_ref[i])));
    for (int64_t c = 0; c < s.C; ++c) {
      double a = 0, q = 0;
      for (int64_t b = 0; b < s.B; ++b)
        for (int64_t m = 0; m < s.M; ++m) {
          const int64_t i = (b * s.C + c) * s.M + m;
          a += dy[i], q += static_cast<double>(dy[i]) * (x[i] - mean[c]) * invstd[c];
        }
      EXPECT_NEAR(bs[c], a, 1e-12 * (1 + std::abs(a)));
      EXPECT_NEAR(bs[s.C + c], q, 1e-12 * (1 + std::abs(q)));
    }

    // normalize and dx against their formulas.
    const auto gamma = random_vector<T>(static_cast<size_t>(s.C), 3, 0.5, 1.5), beta = random_vector<T>(s.C, 4);
    std::vector<T> y(x.size()), dx(x.size(), T(NAN));
    kern::bn_normalize(s, x.data(), mean.data(), invstd.data(), gamma.data(), beta.data(), y.data());
    const double N = static_cast<double>(s.B * s.M);
    kern::bn_backward_dx(s, x.data(), dy.data(), mean.data(), invstd.data(), gamma.data(), bs.data(), N, dx.data());
    const double tol = sizeof(T) == 4 ? 2e-5 : 1e-12;
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t c = 0; c < s.C; ++c)
        for (int64_t m = 0; m < s.M; ++m) {
          const int64_t i = (b * s.C + c) * s.M + m;
          const double xhat = (x[i] - mean[c]) * invstd[c];
          ASSERT_NEAR(y[i], gamma[c] * xhat + beta[c], tol * 10) << i;
          ASSERT_NEAR(dx[i], gamma[c] * invstd[c] * (dy[i] - bs[c] / N - xhat * bs[s.C + c] / N), tol * 10) << i;
        }
  }
}

TYPED_TEST(KernelBn, SigmoidTanhAndMultiplyFollowTheirFormulas) {
  using T = TypeParam;
  for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{40000}}) {
    const auto x = random_vector<T>(static_cast<size_t>(n), 5, -6, 6), dy = random_vector<T>(n, 6);
    std::vector<T> y(n), dx(n);
    // A few ulps: the kernels may be vectorized or contract multiply-adds.
    const auto ulps = [](double v) { return 4 * std::numeric_limits<T>::epsilon() * (std::abs(v) + 1e-30); };
    kern::sigmoid_forward(x.data(), y.data(), n);
    kern::sigmoid_backward(y.data(), dy.data(), dx.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double sig = 1 / (1 + std::exp(-static_cast<double>(x[i])));
      ASSERT_NEAR(y[i], sig, ulps(sig)) << i;
      ASSERT_NEAR(dx[i], dy[i] * y[i] * (T(1) - y[i]), ulps(dy[i])) << i;
    }
    kern::tanh_forward(x.data(), y.data(), n);
    kern::tanh_backward(y.data(), dy.data(), dx.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double th = std::tanh(static_cast<double>(x[i]));
      ASSERT_NEAR(y[i], th, ulps(th)) << i;
      ASSERT_NEAR(dx[i], dy[i] * (T(1) - y[i] * y[i]), ulps(dy[i])) << i;
    }
    auto z = x;
    kern::multiply(z.data(), dy.data(), z.data(), n);  // in place
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(z[i], x[i] * dy[i]) << i;
  }
}

TYPED_TEST(KernelBn, ChannelBiasAndChannelSums) {
  using T = TypeParam;
  for (const auto& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << "B" << s.B << " C" << s.C << " M" << s.M);
    const auto y0 = random_vector<T>(static_cast<size_t>(s.B * s.C * s.M), 7);
    const auto b = random_vector<T>(static_cast<size_t>(s.C), 8);
    auto y = y0;
    kern::add_channel_bias(y.data(), b.data(), s.B, s.C, s.M);
    for (int64_t i = 0; i < s.B * s.C * s.M; ++i) ASSERT_EQ(y[i], y0[i] + b[(i / s.M) % s.C]) << i;
    auto db = b;  // accumulates
    kern::channel_sum_acc(y0.data(), db.data(), s.B, s.C, s.M);
    for (int64_t c = 0; c < s.C; ++c) {
      T acc = 0;  // the documented order: b, then m
      for (int64_t bb = 0; bb < s.B; ++bb)
        for (int64_t m = 0; m < s.M; ++m) acc += y0[(bb * s.C + c) * s.M + m];
      EXPECT_EQ(db[c], b[c] + acc) << c;
    }
  }
}

TEST(KernelDropoutMask, RowsDependOnlyOnTheirGlobalPosition) {
  constexpr int64_t B = 12, D = 301;
  std::vector<float> whole(B * D), top(5 * D), rest((B - 5) * D);
  kern::dropout_mask(whole.data(), B, D, 0.25, 99, 100);
  kern::dropout_mask(top.data(), 5, D, 0.25, 99, 100);
  kern::dropout_mask(rest.data(), B - 5, D, 0.25, 99, 105);
  top.insert(top.end(), rest.begin(), rest.end());
  EXPECT_TRUE(bitwise_equal(top, whole));
  std::vector<float> other_key(whole.size());
  kern::dropout_mask(other_key.data(), B, D, 0.25, 98, 100);
  EXPECT_FALSE(bitwise_equal(other_key, whole));
  int64_t zeros = 0;
  for (const float v : whole) {
    ASSERT_TRUE(v == 0.0f || v == static_cast<float>(1 / 0.75)) << v;
    zeros += v == 0.0f;
  }
  EXPECT_NEAR(static_cast<double>(zeros) / whole.size(), 0.25, 0.03);
  // p = 0 keeps everything (and scales by exactly 1).
  kern::dropout_mask(whole.data(), B, D, 0.0, 99, 0);
  for (const float v : whole) ASSERT_EQ(v, 1.0f);
}

template <class F>
auto under_1_and_2_threads(F&& f) {
  kern::configure_threads(1);
  auto one = f();
  kern::configure_threads(2);
  auto two = f();
  return std::make_pair(one, two);
}

TEST(KernelBnThreads, ReductionsAreIndependentOfThreadCount) {
  const kern::BnShape s{64, 16, 49};
  const auto x = random_vector<float>(static_cast<size_t>(s.B * s.C * s.M), 9, -2, 3);
  const auto dy = random_vector<float>(x.size(), 10);
  const auto gamma = random_vector<float>(16, 11), beta = random_vector<float>(16, 12);
  const auto [one, two] = under_1_and_2_threads([&] {
    std::vector<double> sums(32), bs(32), mean(16), invstd(16);
    kern::bn_sums(s, x.data(), sums.data());
    for (int c = 0; c < 16; ++c)
      mean[c] = sums[c] / (64 * 49), invstd[c] = 1 / std::sqrt(sums[16 + c] / (64 * 49) - mean[c] * mean[c] + 1e-5);
    kern::bn_backward_sums(s, x.data(), dy.data(), mean.data(), invstd.data(), bs.data());
    std::vector<float> y(x.size()), dx(x.size()), db(16, 0.5f), mask(x.size());
    kern::bn_normalize(s, x.data(), mean.data(), invstd.data(), gamma.data(), beta.data(), y.data());
    kern::bn_backward_dx(s, x.data(), dy.data(), mean.data(), invstd.data(), gamma.data(), bs.data(), 64.0 * 49,
                         dx.data());
    kern::channel_sum_acc(dy.data(), db.data(), s.B, s.C, s.M);
    kern::dropout_mask(mask.data(), s.B, s.C * s.M, 0.5, 7, 3);
    std::vector<double> all(sums);
    all.insert(all.end(), bs.begin(), bs.end());
    for (const auto* v : {&y, &dx, &db, &mask}) all.insert(all.end(), v->begin(), v->end());
    return all;
  });
  EXPECT_TRUE(bitwise_equal(one, two));
}

}  // namespace
}  // namespace dpt
