// Global average pooling kernels against their ref:: twins (bitwise) and the plain mean, at one
// to 300 planes of 1 to 784 pixels; the same bits on 1 and 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/pool.hpp"
#include "kernels/threads.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

template <class T>
class KernelGlobalPool : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelGlobalPool, FloatTypes);

TYPED_TEST(KernelGlobalPool, GlobalAvgPoolMatchesReferenceAndMean) {
  using T = TypeParam;
  for (const int64_t planes : {1, 6, 300})
    for (const int64_t HW : {1, 7, 64, 784}) {
      SCOPED_TRACE(::testing::Message() << planes << " planes of " << HW);
      const auto x = random_vector<T>(static_cast<size_t>(planes * HW), 8), dy = random_vector<T>(planes, 9);
      std::vector<T> y(static_cast<size_t>(planes), T(NAN)), y_ref = y, dx(x.size(), T(NAN)), dx_ref = dx;
      kern::global_avgpool_forward(x.data(), y.data(), planes, HW);
      kern::ref::global_avgpool_forward(x.data(), y_ref.data(), planes, HW);
      EXPECT_TRUE(bitwise_equal(y, y_ref));
      double mean = 0;
      for (int64_t m = 0; m < HW; ++m) mean += x[static_cast<size_t>((planes - 1) * HW + m)];
      EXPECT_NEAR(y.back(), mean / HW, sizeof(T) == 4 ? 1e-7 : 1e-16);
      kern::global_avgpool_backward(dy.data(), dx.data(), planes, HW);
      kern::ref::global_avgpool_backward(dy.data(), dx_ref.data(), planes, HW);
      EXPECT_TRUE(bitwise_equal(dx, dx_ref));
      EXPECT_EQ(dx.back(), dy.back() / T(HW));
    }
}

TEST(KernelGlobalPoolThreads, IndependentOfThreadCount) {
  const int64_t planes = 64 * 128, HW = 49;
  const auto x = random_vector<float>(static_cast<size_t>(planes * HW), 10), dy = random_vector<float>(planes, 11);
  auto run = [&](int threads) {
    kern::configure_threads(threads);
    std::vector<float> y(static_cast<size_t>(planes)), dx(x.size());
    kern::global_avgpool_forward(x.data(), y.data(), planes, HW);
    kern::global_avgpool_backward(dy.data(), dx.data(), planes, HW);
    y.insert(y.end(), dx.begin(), dx.end());
    return y;
  };
  const auto one = run(1), two = run(2);
  kern::configure_threads(1);
  EXPECT_TRUE(bitwise_equal(one, two));
}

}  // namespace
}  // namespace dpt
