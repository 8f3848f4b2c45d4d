// Elementwise / row-wise kernels vs their ref:: twins, at sizes below and above the TBB grain
// (16384 elements), so both the serial and the parallel paths run. All of them are exact
// (copies, max, one multiply, in-order sums), so results must match bitwise; GELU (erf, tanh, exp)
// matches its textbook-formula twin to rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/threads.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

const int64_t kSizes[] = {1, 7, 16384, 16385, 100003};
struct RowShape {
  int64_t B, N;
};
const RowShape kRowShapes[] = {{1, 1}, {5, 7}, {1, 1000}, {64, 513}, {300, 1000}, {3000, 10}};

template <class T>
class KernelElementwise : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelElementwise, FloatTypes);

TYPED_TEST(KernelElementwise, BroadcastRowsMatchesReference) {
  using T = TypeParam;
  for (const RowShape s : kRowShapes) {
    SCOPED_TRACE(::testing::Message() << "B=" << s.B << " N=" << s.N);
    const auto b = random_vector<T>(static_cast<size_t>(s.N), 1);        // (N)
    std::vector<T> y(static_cast<size_t>(s.B * s.N), T(-7)), y_ref = y;  // (B, N)
    kern::broadcast_rows(y.data(), b.data(), s.B, s.N);
    kern::ref::broadcast_rows(y_ref.data(), b.data(), s.B, s.N);
    EXPECT_TRUE(bitwise_equal(y, y_ref));
    EXPECT_EQ(y.back(), b.back());
  }
}

TYPED_TEST(KernelElementwise, SumRowsAccumulatesAndMatchesReference) {
  using T = TypeParam;
  for (const RowShape s : kRowShapes) {
    SCOPED_TRACE(::testing::Message() << "B=" << s.B << " N=" << s.N);
    const auto dy = random_vector<T>(static_cast<size_t>(s.B * s.N), 2);             // (B, N)
    std::vector<T> db = random_vector<T>(static_cast<size_t>(s.N), 3), db_ref = db;  // (N), not zero
    kern::sum_rows_acc(dy.data(), db.data(), s.B, s.N);
    kern::ref::sum_rows_acc(dy.data(), db_ref.data(), s.B, s.N);
    EXPECT_TRUE(bitwise_equal(db, db_ref));
  }
}

TYPED_TEST(KernelElementwise, SumRowsHandComputed) {
  using T = TypeParam;
  const T dy[] = {1, 2, 3, 10, 20, 30};  // (2, 3)
  T db[] = {100, 200, 300};
  kern::sum_rows_acc(dy, db, 2, 3);
  EXPECT_EQ(db[0], 111);
  EXPECT_EQ(db[1], 222);
  EXPECT_EQ(db[2], 333);
}

TYPED_TEST(KernelElementwise, ReluForwardMatchesReference) {
  using T = TypeParam;
  for (const int64_t n : kSizes) {
    SCOPED_TRACE(n);
    auto x = random_vector<T>(static_cast<size_t>(n), 4);
    x[0] = T(0);
    std::vector<T> y(x.size(), T(-1)), y_ref(x.size(), T(-1));
    kern::relu_forward(x.data(), y.data(), n);
    kern::ref::relu_forward(x.data(), y_ref.data(), n);
    EXPECT_TRUE(bitwise_equal(y, y_ref));
    // In place (y aliases x).
    kern::relu_forward(x.data(), x.data(), n);
    EXPECT_TRUE(bitwise_equal(x, y_ref));
  }
  const T x[] = {-2, -0.5, 0, 0.5, 3};
  T y[5];
  kern::relu_forward(x, y, 5);
  EXPECT_EQ(y[0], 0);
  EXPECT_EQ(y[1], 0);
  EXPECT_EQ(y[2], 0);
  EXPECT_EQ(y[3], T(0.5));
  EXPECT_EQ(y[4], 3);
}

TYPED_TEST(KernelElementwise, ReluBackwardMatchesReference) {
  using T = TypeParam;
  for (const int64_t n : kSizes) {
    SCOPED_TRACE(n);
    std::vector<T> y(static_cast<size_t>(n));
    kern::relu_forward(random_vector<T>(y.size(), 5).data(), y.data(), n);  // y >= 0, about half zero
    auto dy = random_vector<T>(y.size(), 6);
    std::vector<T> dx(y.size(), T(9)), dx_ref(y.size(), T(9));
    kern::relu_backward(y.data(), dy.data(), dx.data(), n);
    kern::ref::relu_backward(y.data(), dy.data(), dx_ref.data(), n);
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    // In place (dx aliases dy).
    kern::relu_backward(y.data(), dy.data(), dy.data(), n);
    EXPECT_TRUE(bitwise_equal(dy, dx_ref));
  }
  // The gradient passes where y > 0 only (y == 0 blocks it).
  const T y[] = {0, 1, 0, 2}, dy[] = {5, 6, 7, 8};
  T dx[4];
  kern::relu_backward(y, dy, dx, 4);
  EXPECT_EQ(dx[0], 0);
  EXPECT_EQ(dx[1], 6);
  EXPECT_EQ(dx[2], 0);
  EXPECT_EQ(dx[3], 8);
}

TYPED_TEST(KernelElementwise, ScaleMatchesReference) {
  using T = TypeParam;
  for (const int64_t n : kSizes) {
    SCOPED_TRACE(n);
    auto x = random_vector<T>(static_cast<size_t>(n), 7), x_ref = x;
    kern::scale(x.data(), n, T(0.37));
    kern::ref::scale(x_ref.data(), n, T(0.37));
    EXPECT_TRUE(bitwise_equal(x, x_ref));
  }
  T x[] = {1, -2, 4};
  kern::scale(x, 3, T(0.5));
  EXPECT_EQ(x[0], T(0.5));
  EXPECT_EQ(x[1], -1);
  EXPECT_EQ(x[2], 2);
}

TYPED_TEST(KernelElementwise, LeakyReluMatchesReference) {
  using T = TypeParam;
  for (const T slope : {T(0.01), T(0.2), T(0)})
    for (const int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " slope=" << slope);
      auto x = random_vector<T>(static_cast<size_t>(n), 8);
      x[0] = T(0);
      const auto dy = random_vector<T>(x.size(), 9);
      std::vector<T> y(x.size(), T(-1)), y_ref = y, dx(x.size(), T(9)), dx_ref = dx;
      kern::leaky_relu_forward(x.data(), y.data(), n, slope);
      kern::ref::leaky_relu_forward(x.data(), y_ref.data(), n, slope);
      EXPECT_TRUE(bitwise_equal(y, y_ref));
      kern::leaky_relu_backward(x.data(), dy.data(), dx.data(), n, slope);
      kern::ref::leaky_relu_backward(x.data(), dy.data(), dx_ref.data(), n, slope);
      EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    }
  const T x[] = {-2, 0, 3}, dy[] = {5, 6, 7};
  T y[3], dx[3];
  kern::leaky_relu_forward(x, y, 3, T(0.5));
  kern::leaky_relu_backward(x, dy, dx, 3, T(0.5));
  EXPECT_EQ(y[0], -1);
  EXPECT_EQ(y[1], 0);
  EXPECT_EQ(y[2], 3);
  EXPECT_EQ(dx[0], T(2.5));  // x <= 0: slope * dy (PyTorch: x > 0 passes dy)
  EXPECT_EQ(dx[1], 3);
  EXPECT_EQ(dx[2], 7);
}

// GELU: PyTorch's formulas against the textbook ones (erfc, pow) of ref::, to rounding; known values.
TYPED_TEST(KernelElementwise, GeluMatchesReference) {
  using T = TypeParam;
  const double tol = sizeof(T) == 4 ? 2e-6 : 1e-14;
  for (const bool tanh_approx : {false, true})
    for (const int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " tanh=" << tanh_approx);
      const auto x = random_vector<T>(static_cast<size_t>(n), 10, -6, 6), dy = random_vector<T>(x.size(), 11);
      std::vector<T> y(x.size(), T(NAN)), y_ref = y, dx = y, dx_ref = y;
      kern::gelu_forward(x.data(), y.data(), n, tanh_approx);
      kern::ref::gelu_forward(x.data(), y_ref.data(), n, tanh_approx);
      kern::gelu_backward(x.data(), dy.data(), dx.data(), n, tanh_approx);
      kern::ref::gelu_backward(x.data(), dy.data(), dx_ref.data(), n, tanh_approx);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], y_ref[i], tol * (1 + std::abs(y_ref[i]))) << i;
        ASSERT_NEAR(dx[i], dx_ref[i], tol * (1 + std::abs(dx_ref[i]))) << i;
      }
    }
  const T x[] = {0, 1, -1, 10};
  T y[4];
  kern::gelu_forward(x, y, 4, false);
  EXPECT_EQ(y[0], 0);
  EXPECT_NEAR(y[1], 0.8413447460685429, 1e-7);  // Phi(1)
  EXPECT_NEAR(y[2], -0.15865525393145707, 1e-7);
  EXPECT_EQ(y[3], 10);
  kern::gelu_forward(x, y, 4, true);
  EXPECT_NEAR(y[1], 0.8411919906082768, 1e-7);  // torch.nn.functional.gelu(1, approximate='tanh')
}
}  // namespace
}  // namespace dpt

TEST(SumSquares, SameBitsOnOneAndTwoThreadsAndCloseToThePlainSum) {
  // 20 blocks of 2^16: the blocks run on TBB workers (a worker-thread bug once crashed here).
  for (int64_t n : {int64_t{5}, int64_t{20} << 16, (int64_t{3} << 16) + 7}) {
    const auto x = dpt::test::random_vector<float>(static_cast<size_t>(n), 77);
    dpt::kern::configure_threads(1);
    const double one = dpt::kern::sum_squares(x.data(), n);
    dpt::kern::configure_threads(2);
    const double two = dpt::kern::sum_squares(x.data(), n), again = dpt::kern::sum_squares(x.data(), n);
    EXPECT_EQ(one, two) << n;
    EXPECT_EQ(two, again) << n;
    EXPECT_NEAR(two, dpt::kern::ref::sum_squares(x.data(), n), 1e-12 * two) << n;
  }
}

// optimizer.shard computes the gradient norm from the ranks' block sums: the sums of a range that
// starts at a block boundary must be the whole buffer's sums of those blocks, bit for bit.
TEST(SumSquares, BlockSumsOfAnAlignedRangeAreTheWholeBuffersBlockSums) {
  using dpt::kern::kSquaresBlock;
  const int64_t n = 5 * kSquaresBlock + 123;
  const auto x = dpt::test::random_vector<float>(static_cast<size_t>(n), 5);
  std::vector<double> whole(static_cast<size_t>(dpt::kern::square_block_count(n)));
  ASSERT_EQ(whole.size(), 6u);
  dpt::kern::square_blocks(x.data(), n, whole.data());
  EXPECT_EQ(dpt::kern::sum_in_order(whole.data(), 6), dpt::kern::sum_squares(x.data(), n));
  for (int64_t first : {int64_t{0}, int64_t{2}, int64_t{5}}) {  // blocks [first, 6)
    const int64_t lo = first * kSquaresBlock;
    std::vector<double> part(static_cast<size_t>(dpt::kern::square_block_count(n - lo)));
    dpt::kern::square_blocks(x.data() + lo, n - lo, part.data());
    for (size_t b = 0; b < part.size(); ++b) EXPECT_EQ(part[b], whole[static_cast<size_t>(first) + b]) << first;
  }
  // Each block's sum is its own: changing one element changes only its block.
  auto y = x;
  y[static_cast<size_t>(3 * kSquaresBlock + 1)] += 1.0f;
  std::vector<double> changed(whole.size());
  dpt::kern::square_blocks(y.data(), n, changed.data());
  for (size_t b = 0; b < whole.size(); ++b) EXPECT_EQ(changed[b] != whole[b], b == 3) << b;
}
