// sgd_update vs ref::sgd_update over several steps, for every optimizer variant, on a buffer long
// enough for the parallel path (grain 32768).
#include <gtest/gtest.h>

#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/update.hpp"

namespace dpt {
namespace {

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
  SCOPED_TRACE(::testing::Message() << "lr=" << args.lr << " momentum=" << args.momentum
                                    << " wd=" << args.weight_decay << " nesterov=" << args.nesterov
                                    << " n=" << n);
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
    check_steps({0.1f, 0.0f, 0.0f, false}, n);     // plain SGD
    check_steps({0.1f, 0.0f, 0.01f, false}, n);    // weight decay, no momentum
    check_steps({0.1f, 0.9f, 0.0f, false}, n);     // momentum
    check_steps({0.1f, 0.9f, 0.0f, true}, n);      // nesterov
    check_steps({0.05f, 0.9f, 5e-4f, false}, n);   // momentum + weight decay
    check_steps({0.05f, 0.9f, 5e-4f, true}, n);    // nesterov + weight decay
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

}  // namespace
}  // namespace dpt
