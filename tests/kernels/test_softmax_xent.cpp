// softmax_xent vs ref::softmax_xent (loss sum, correct count, gradient), hand-computed cases,
// numerical stability at large logits, and B = 1.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/rng.hpp"
#include "kernel_test_util.hpp"
#include "kernels/softmax_xent.hpp"

namespace dpt {
namespace {

using test::random_vector;

template <class T>
class KernelSoftmaxXent : public ::testing::Test {
 protected:
  // Loose enough for float logits (the optimized kernel subtracts the max in T), tight for double.
  static constexpr double kLossTol = std::is_same_v<T, float> ? 1e-5 : 1e-12;  // per row
  static constexpr double kGradTol = std::is_same_v<T, float> ? 2e-6 : 1e-14;  // times grad_scale

  void compare_with_reference(int64_t B, int64_t C, double spread, uint64_t seed) {
    SCOPED_TRACE(::testing::Message() << "B=" << B << " C=" << C << " spread=" << spread);
    const auto z = random_vector<T>(static_cast<size_t>(B * C), seed, -spread, spread);  // (B, C)
    std::vector<int32_t> labels(static_cast<size_t>(B));                                 // (B)
    Rng rng(seed + 1);
    for (auto& l : labels) l = static_cast<int32_t>(rng.below(static_cast<uint64_t>(C)));
    const T scale = T(1) / static_cast<T>(B);
    std::vector<T> dz(z.size(), T(123)), dz_ref(z.size(), T(-123));
    const auto r = kern::softmax_xent<T>(z.data(), labels.data(), B, C, scale, dz.data());
    const auto r_ref = kern::ref::softmax_xent<T>(z.data(), labels.data(), B, C, scale, dz_ref.data());
    EXPECT_NEAR(r.loss_sum, r_ref.loss_sum, kLossTol * static_cast<double>(B) * (1 + spread));
    EXPECT_EQ(r.correct, r_ref.correct);
    // p = exp(z - lse) loses about eps * |lse| to cancellation when the logits are large.
    const double grad_tol = (kGradTol + 4 * std::numeric_limits<double>::epsilon() * spread) * scale;
    int bad = 0;
    for (size_t i = 0; i < dz.size(); ++i)
      if (!(std::abs(static_cast<double>(dz[i]) - dz_ref[i]) <= grad_tol) && ++bad <= 5)
        ADD_FAILURE() << "dz[" << i << "] = " << dz[i] << ", ref " << dz_ref[i];
    EXPECT_EQ(bad, 0);
    // Without dz: same loss and count.
    const auto r_nograd = kern::softmax_xent<T>(z.data(), labels.data(), B, C, scale, nullptr);
    EXPECT_EQ(r_nograd.loss_sum, r.loss_sum);
    EXPECT_EQ(r_nograd.correct, r.correct);
  }
};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelSoftmaxXent, FloatTypes);

TYPED_TEST(KernelSoftmaxXent, MatchesReference) {
  this->compare_with_reference(37, 10, 5.0, 1);
  this->compare_with_reference(1, 10, 5.0, 2);
  this->compare_with_reference(5, 1, 5.0, 3);      // one class: loss 0, always correct
  this->compare_with_reference(4096, 10, 3.0, 4);  // many rows: the parallel path
  this->compare_with_reference(8, 1000, 2.0, 5);
}

TYPED_TEST(KernelSoftmaxXent, MatchesReferenceAtLargeLogits) { this->compare_with_reference(16, 10, 1000.0, 6); }

TYPED_TEST(KernelSoftmaxXent, HandComputedTwoClasses) {
  using T = TypeParam;
  // softmax([0, ln 3]) = [1/4, 3/4]
  const T z[] = {T(0), static_cast<T>(std::log(3.0))};
  const int32_t label1[] = {1}, label0[] = {0};
  T dz[2];
  auto r = kern::softmax_xent<T>(z, label1, 1, 2, T(1), dz);
  EXPECT_NEAR(r.loss_sum, std::log(4.0 / 3.0), this->kLossTol);
  EXPECT_EQ(r.correct, 1);
  EXPECT_NEAR(dz[0], 0.25, this->kGradTol);
  EXPECT_NEAR(dz[1], -0.25, this->kGradTol);

  r = kern::softmax_xent<T>(z, label0, 1, 2, T(0.5), dz);  // grad_scale multiplies the gradient only
  EXPECT_NEAR(r.loss_sum, std::log(4.0), this->kLossTol);
  EXPECT_EQ(r.correct, 0);
  EXPECT_NEAR(dz[0], (0.25 - 1) * 0.5, this->kGradTol);
  EXPECT_NEAR(dz[1], 0.75 * 0.5, this->kGradTol);
}

TYPED_TEST(KernelSoftmaxXent, StableAtLogitsOfAThousand) {
  using T = TypeParam;
  // (4, 3) logits that overflow exp() if the max is not subtracted.
  const T z[] = {1000,  999,   0,      // label 1: loss ln(1 + e), p = [s, 1 - s, 0] with s = 1/(1 + 1/e)
                 1000,  0,     -1000,  // label 1: loss 1000
                 -1000, -1000, -1000,  // label 2: loss ln 3
                 1000,  1000,  1000};  // label 0: loss ln 3
  const int32_t labels[] = {1, 1, 2, 0};
  const T scale = T(0.25);
  T dz[12];
  const auto r = kern::softmax_xent<T>(z, labels, 4, 3, scale, dz);
  const double s = 1.0 / (1.0 + std::exp(-1.0));
  const double want = std::log(1 + std::exp(1.0)) + 1000 + 2 * std::log(3.0);
  ASSERT_TRUE(std::isfinite(r.loss_sum));
  EXPECT_NEAR(r.loss_sum, want, 1e-9 * want + this->kLossTol);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(std::isfinite(dz[i])) << i;
  EXPECT_NEAR(dz[0], s * 0.25, this->kGradTol);
  EXPECT_NEAR(dz[1], (1 - s - 1) * 0.25, this->kGradTol);
  EXPECT_NEAR(dz[4], -0.25, this->kGradTol);
  EXPECT_NEAR(dz[8], (1.0 / 3 - 1) * 0.25, this->kGradTol);
  EXPECT_NEAR(dz[9], (1.0 / 3 - 1) * 0.25, this->kGradTol);
  // Each gradient row sums to zero (softmax sums to one).
  for (int row = 0; row < 4; ++row)
    EXPECT_NEAR(double(dz[3 * row]) + dz[3 * row + 1] + dz[3 * row + 2], 0.0, 3 * this->kGradTol);
  // Rows 0-2 are wrong; row 3 is a tie, resolved to the first index like torch.argmax.
  EXPECT_EQ(r.correct, 1);
}

TYPED_TEST(KernelSoftmaxXent, CountsRowsWhoseArgMaxIsTheLabel) {
  using T = TypeParam;
  const T z[] = {0.1, 0.9, 0.0,   // arg-max 1
                 2.0, -1,  0.5,   // arg-max 0
                 -3,  -2,  -1,    // arg-max 2
                 0.2, 0.3, 0.1};  // arg-max 1
  const int32_t labels[] = {1, 2, 2, 0};
  const auto r = kern::softmax_xent<T>(z, labels, 4, 3, T(1), nullptr);
  EXPECT_EQ(r.correct, 2);
}

}  // namespace
}  // namespace dpt
