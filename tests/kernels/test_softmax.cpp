// softmax_rows / argmax_rows vs their reference twins, rows summing to 1, hand-computed values,
// stability at large logits, ties, and p aliasing z.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/softmax.hpp"

namespace dpt {
namespace {

using test::random_vector;

template <class T>
class KernelSoftmax : public ::testing::Test {
 protected:
  static constexpr double kTol = std::is_same_v<T, float> ? 2e-7 : 1e-15;  // per probability

  void compare_with_reference(int64_t B, int64_t C, double spread, uint64_t seed) {
    SCOPED_TRACE(::testing::Message() << "B=" << B << " C=" << C << " spread=" << spread);
    const auto z = random_vector<T>(static_cast<size_t>(B * C), seed, -spread, spread);  // (B, C)
    std::vector<T> p(z.size(), T(-1)), p_ref(z.size(), T(-2));
    std::vector<int32_t> arg(static_cast<size_t>(B), -1), arg_ref(arg.size(), -2), arg_only(arg.size(), -3);
    kern::softmax_rows<T>(z.data(), B, C, p.data(), arg.data());
    kern::ref::softmax_rows<T>(z.data(), B, C, p_ref.data(), arg_ref.data());
    kern::argmax_rows<T>(z.data(), B, C, arg_only.data());
    EXPECT_EQ(arg, arg_ref);
    EXPECT_EQ(arg_only, arg_ref);
    int bad = 0;
    for (size_t i = 0; i < p.size(); ++i)
      if (!(std::abs(static_cast<double>(p[i]) - p_ref[i]) <= kTol) && ++bad <= 5)
        ADD_FAILURE() << "p[" << i << "] = " << p[i] << ", ref " << p_ref[i];
    EXPECT_EQ(bad, 0);
    for (int64_t i = 0; i < B; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < C; ++j) sum += p[i * C + j];
      ASSERT_NEAR(sum, 1.0, C * kTol + 1e-15) << "row " << i;
      EXPECT_EQ(p[i * C + arg[i]], *std::max_element(p.begin() + i * C, p.begin() + (i + 1) * C));
    }
  }
};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelSoftmax, FloatTypes);

TYPED_TEST(KernelSoftmax, MatchesReference) {
  this->compare_with_reference(37, 10, 5.0, 1);
  this->compare_with_reference(1, 10, 5.0, 2);
  this->compare_with_reference(5, 1, 5.0, 3);      // one class: probability 1
  this->compare_with_reference(4096, 10, 3.0, 4);  // many rows: the parallel path
  this->compare_with_reference(8, 1000, 2.0, 5);
  this->compare_with_reference(16, 10, 1000.0, 6);  // large logits
}

TYPED_TEST(KernelSoftmax, HandComputed) {
  using T = TypeParam;
  // softmax([0, ln 3]) = [1/4, 3/4]; softmax([1000, 1000, 1000]) = 1/3 each (no overflow);
  // softmax([-1000, 0]) = [e^-1000 (0 in floating point), 1].
  const T z[] = {T(0), static_cast<T>(std::log(3.0)), T(5), T(5), T(-1000), T(0)};
  T p[6];
  int32_t arg[3];
  kern::softmax_rows<T>(z, 3, 2, p, arg);
  EXPECT_NEAR(p[0], 0.25, this->kTol);
  EXPECT_NEAR(p[1], 0.75, this->kTol);
  EXPECT_NEAR(p[2], 0.5, this->kTol);
  EXPECT_NEAR(p[3], 0.5, this->kTol);
  EXPECT_EQ(p[4], T(0));
  EXPECT_EQ(p[5], T(1));
  EXPECT_EQ(arg[0], 1);
  EXPECT_EQ(arg[1], 0);  // a tie goes to the first index, like torch.argmax
  EXPECT_EQ(arg[2], 1);
  const T big[] = {T(1000), T(1000), T(1000)};
  kern::softmax_rows<T>(big, 1, 3, p, nullptr);  // arg may be null
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(p[j], 1.0 / 3, this->kTol);
}

TYPED_TEST(KernelSoftmax, InPlace) {
  using T = TypeParam;
  auto z = random_vector<T>(60, 9, -4, 4);  // (6, 10)
  std::vector<T> want(z.size());
  std::vector<int32_t> arg(6), arg_ref(6);
  kern::ref::softmax_rows<T>(z.data(), 6, 10, want.data(), arg_ref.data());
  kern::softmax_rows<T>(z.data(), 6, 10, z.data(), arg.data());
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], want[i], this->kTol) << i;
  EXPECT_EQ(arg, arg_ref);
}

}  // namespace
}  // namespace dpt
