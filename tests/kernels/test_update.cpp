// sgd_update / adam_update / adamw_update vs their ref:: twins over several steps, for every
// variant, on buffers long enough for the parallel path (grain 32768); hand-computed single steps;
// and independence of the thread count (configure_threads(1) vs (2): bitwise equal).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "kernel_test_util.hpp"
#include "kernels/threads.hpp"
#include "kernels/update.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

void expect_float_eq(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    // 4 ulps: the kernels evaluate the same expression, so only contraction could change a bit.
    if (!::testing::internal::FloatingPoint<float>(got[i]).AlmostEquals(
            ::testing::internal::FloatingPoint<float>(want[i])) &&
        ++bad <= 5)
      ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", ref " << want[i];
  }
  EXPECT_EQ(bad, 0) << what;
}

void check_steps(const kern::SgdArgs& args, int64_t n) {
  SCOPED_TRACE(::testing::Message() << "lr=" << args.lr << " momentum=" << args.momentum << " wd=" << args.weight_decay
                                    << " nesterov=" << args.nesterov << " n=" << n);
  auto p = random_vector<float>(static_cast<size_t>(n), 1), p_ref = p;
  std::vector<float> v(p.size(), 0.0f), v_ref = v;
  for (int step = 0; step < 4; ++step) {
    const auto dp = random_vector<float>(p.size(), 100 + static_cast<uint64_t>(step));
    kern::sgd_update(p.data(), dp.data(), v.data(), n, args);
    kern::ref::sgd_update(p_ref.data(), dp.data(), v_ref.data(), n, args);
  }
  expect_float_eq(p, p_ref, "p");
  expect_float_eq(v, v_ref, "v");
  // The parameters moved.
  EXPECT_NE(p, random_vector<float>(p.size(), 1));
}

TEST(KernelSgdUpdate, MatchesReferenceForEveryVariant) {
  for (const int64_t n : {int64_t{1}, int64_t{1000}, int64_t{100003}}) {
    check_steps({0.1f, 0.0f, 0.0f, false}, n);    // plain SGD
    check_steps({0.1f, 0.0f, 0.01f, false}, n);   // weight decay, no momentum
    check_steps({0.1f, 0.9f, 0.0f, false}, n);    // momentum
    check_steps({0.1f, 0.9f, 0.0f, true}, n);     // nesterov
    check_steps({0.05f, 0.9f, 5e-4f, false}, n);  // momentum + weight decay
    check_steps({0.05f, 0.9f, 5e-4f, true}, n);   // nesterov + weight decay
  }
}

TEST(KernelSgdUpdate, WithoutMomentumTheVelocityIsUntouched) {
  std::vector<float> p = {1.0f, 2.0f}, dp = {0.5f, -1.0f}, v = {7.0f, 8.0f};
  kern::sgd_update(p.data(), dp.data(), v.data(), 2, {0.1f, 0.0f, 0.0f, false});
  EXPECT_FLOAT_EQ(p[0], 0.95f);
  EXPECT_FLOAT_EQ(p[1], 2.1f);
  EXPECT_EQ(v[0], 7.0f);
  EXPECT_EQ(v[1], 8.0f);
}

TEST(KernelSgdUpdate, OneStepHandComputed) {
  // g = dp + wd p = 0.5 + 0.1 * 2 = 0.7; v = 0.9 * 1 + 0.7 = 1.6
  // plain momentum: p = 2 - 0.1 * 1.6 = 1.84; nesterov: p = 2 - 0.1 * (0.7 + 0.9 * 1.6) = 1.786
  for (bool nesterov : {false, true}) {
    float p = 2.0f, dp = 0.5f, v = 1.0f;
    kern::sgd_update(&p, &dp, &v, 1, {0.1f, 0.9f, 0.1f, nesterov});
    EXPECT_FLOAT_EQ(v, 1.6f);
    EXPECT_FLOAT_EQ(p, nesterov ? 1.786f : 1.84f);
  }
}

// ---- Adam / AdamW ----

using AdamFn = void (*)(float*, const float*, float*, float*, int64_t, const kern::AdamArgs&);

struct AdamState {
  std::vector<float> p, m, v;
};

// Four updates (t = first_t .. first_t + 3) of fn from seeded parameters and gradients; moments start at 0.
AdamState run_adam(AdamFn fn, kern::AdamArgs a, int64_t n, int64_t first_t = 1) {
  AdamState s{random_vector<float>(static_cast<size_t>(n), 1), std::vector<float>(static_cast<size_t>(n), 0.0f),
              std::vector<float>(static_cast<size_t>(n), 0.0f)};
  for (int k = 0; k < 4; ++k) {
    // Gradients with a spread of magnitudes, so eps matters for some elements.
    auto dp = random_vector<float>(s.p.size(), 200 + static_cast<uint64_t>(k));
    for (size_t i = 0; i < dp.size(); i += 3) dp[i] *= 1e-7f;
    a.step = first_t + k;
    fn(s.p.data(), dp.data(), s.m.data(), s.v.data(), n, a);
  }
  return s;
}

void check_adam_vs_ref(bool decoupled, const kern::AdamArgs& a, int64_t n) {
  SCOPED_TRACE(::testing::Message() << (decoupled ? "adamw" : "adam") << " lr=" << a.lr << " b1=" << a.beta1
                                    << " b2=" << a.beta2 << " eps=" << a.eps << " wd=" << a.weight_decay << " n=" << n);
  const auto got = run_adam(decoupled ? kern::adamw_update : kern::adam_update, a, n);
  const auto want = run_adam(decoupled ? kern::ref::adamw_update : kern::ref::adam_update, a, n);
  expect_float_eq(got.p, want.p, "p");
  expect_float_eq(got.m, want.m, "m");
  expect_float_eq(got.v, want.v, "v");
  EXPECT_NE(got.p, random_vector<float>(got.p.size(), 1));  // the parameters moved
}

const kern::AdamArgs kAdamVariants[] = {
    {1e-3, 0.9, 0.999, 1e-8, 0.0, 1},   // torch defaults
    {1e-2, 0.9, 0.999, 1e-8, 0.01, 1},  // with weight decay (torch AdamW default)
    {0.1, 0.5, 0.9, 1e-6, 0.1, 1},      // short memories, large decay
    {0.05, 0.0, 0.0, 1e-3, 0.0, 1},     // betas 0: sign-like steps
};

TEST(KernelAdamUpdate, MatchesReferenceForEveryVariant) {
  for (const int64_t n : {int64_t{1}, int64_t{1000}, int64_t{100003}})
    for (const auto& a : kAdamVariants) check_adam_vs_ref(false, a, n);
}

TEST(KernelAdamWUpdate, MatchesReferenceForEveryVariant) {
  for (const int64_t n : {int64_t{1}, int64_t{1000}, int64_t{100003}})
    for (const auto& a : kAdamVariants) check_adam_vs_ref(true, a, n);
}

TEST(KernelAdamUpdate, FirstStepMovesByLrTimesSignOfGradient) {
  // t = 1: m = (1 - b1) g, v = (1 - b2) g^2, so mhat = g, vhat = g^2 and p -= lr g / (|g| + eps).
  const std::vector<float> dp = {2.0f, -0.5f, 1e-3f, -40.0f, 0.0f};
  std::vector<float> p(dp.size(), 1.0f), m(dp.size(), 0.0f), v(dp.size(), 0.0f);
  kern::adam_update(p.data(), dp.data(), m.data(), v.data(), 5, {0.01, 0.9, 0.999, 1e-8, 0.0, 1});
  EXPECT_FLOAT_EQ(p[0], 0.99f);
  EXPECT_FLOAT_EQ(p[1], 1.01f);
  EXPECT_NEAR(p[2], 1.0 - 0.01 * 1e-3 / (1e-3 + 1e-8), 1e-7);
  EXPECT_FLOAT_EQ(p[3], 1.01f);
  EXPECT_EQ(p[4], 1.0f);  // no gradient, no move
  EXPECT_FLOAT_EQ(m[0], 0.2f);
  EXPECT_FLOAT_EQ(v[0], 0.004f);
}

TEST(KernelAdamUpdate, SecondStepHandComputed) {
  // b1 = 0.5, b2 = 0.75, eps = 0, lr = 0.1; g = 1 then 3 (wd 0):
  // t=1: m = 0.5, v = 0.25, mhat = 1, vhat = 1 -> p = 1 - 0.1 = 0.9
  // t=2: m = 0.25 + 1.5 = 1.75, v = 0.1875 + 2.25 = 2.4375; mhat = 1.75 / 0.75 = 7/3,
  //      vhat = 2.4375 / 0.4375 = 39/7; p = 0.9 - 0.1 (7/3) / sqrt(39/7) = 0.801149...
  float p = 1.0f, m = 0.0f, v = 0.0f;
  const float g1 = 1.0f, g2 = 3.0f;
  kern::adam_update(&p, &g1, &m, &v, 1, {0.1, 0.5, 0.75, 0.0, 0.0, 1});
  EXPECT_FLOAT_EQ(p, 0.9f);
  kern::adam_update(&p, &g2, &m, &v, 1, {0.1, 0.5, 0.75, 0.0, 0.0, 2});
  EXPECT_FLOAT_EQ(m, 1.75f);
  EXPECT_FLOAT_EQ(v, 2.4375f);
  EXPECT_NEAR(p, 0.9 - 0.1 * (7.0 / 3.0) / std::sqrt(39.0 / 7.0), 1e-7);
}

TEST(KernelAdamWUpdate, DecaysTheParameterBeforeTheAdamStep) {
  // Adam with L2: g = 0.5 + 0.1 * 2 = 0.7, first step p = 2 - 0.01 (sign) = 1.99.
  // AdamW: p = 2 (1 - 0.01 * 0.1) = 1.998, then g = 0.5 (no decay term): p = 1.988.
  for (const bool decoupled : {false, true}) {
    float p = 2.0f, m = 0.0f, v = 0.0f;
    const float dp = 0.5f;
    (decoupled ? kern::adamw_update : kern::adam_update)(&p, &dp, &m, &v, 1, {0.01, 0.9, 0.999, 1e-12, 0.1, 1});
    EXPECT_FLOAT_EQ(p, decoupled ? 1.988f : 1.99f);
    EXPECT_FLOAT_EQ(m, decoupled ? 0.05f : 0.07f);
  }
}

TEST(KernelAdamUpdate, RejectsAStepBelowOne) {
  float p = 1, m = 0, v = 0, dp = 1;
  for (const int64_t t : {int64_t{0}, int64_t{-1}}) {
    EXPECT_THROW(kern::adam_update(&p, &dp, &m, &v, 1, {0.1, 0.9, 0.999, 1e-8, 0, t}), Error);
    EXPECT_THROW(kern::ref::adamw_update(&p, &dp, &m, &v, 1, {0.1, 0.9, 0.999, 1e-8, 0, t}), Error);
  }
  EXPECT_EQ(p, 1.0f);
}

// ---- independence of the thread count (sgd_update: tests/kernels/test_threads.cpp) ----

TEST(KernelAdamUpdate, IsIndependentOfThreadCount) {
  constexpr int64_t n = 200000;
  for (const bool decoupled : {false, true}) {
    const AdamFn fn = decoupled ? kern::adamw_update : kern::adam_update;
    kern::configure_threads(1);
    const auto one = run_adam(fn, {1e-2, 0.9, 0.999, 1e-8, 0.01, 1}, n, 7);
    kern::configure_threads(2);
    const auto two = run_adam(fn, {1e-2, 0.9, 0.999, 1e-8, 0.01, 1}, n, 7);
    EXPECT_TRUE(bitwise_equal(one.p, two.p)) << decoupled;
    EXPECT_TRUE(bitwise_equal(one.m, two.m)) << decoupled;
    EXPECT_TRUE(bitwise_equal(one.v, two.v)) << decoupled;
  }
}

}  // namespace
}  // namespace dpt
