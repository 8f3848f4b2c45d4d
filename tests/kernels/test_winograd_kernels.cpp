// Winograd F(2x2, 3x3) (kernels/winograd) against the direct convolution (its ref:: twin, double
// sums): forward, input gradient and weight gradient (accumulated into what dw held), at odd and
// even sizes, padding 0-2, several blocks per batch, channel counts of ResNet's stages; the weight
// gradient without dx equals the one with it; 1 and 2 threads give the same bits.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/threads.hpp"
#include "kernels/winograd.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

template <class T>
class KernelWinograd : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelWinograd, FloatTypes);

struct Case {
  kern::WinogradGeom g;
  int64_t B;
};
// C, H, W, K, pad; B. Blocks: 28x28 x 16 channels is 2 samples a block, 7x7 x 64 is 8. Edges: one
// row or column with padding 1, padding 3 (whole padded row pairs of zeros), one tile column.
const Case kCases[] = {{{1, 3, 3, 1, 0}, 1},     {{2, 5, 4, 3, 1}, 3},    {{3, 7, 7, 2, 1}, 2},
                       {{2, 6, 9, 3, 0}, 2},     {{2, 5, 5, 2, 2}, 2},    {{16, 28, 28, 16, 1}, 3},
                       {{32, 14, 14, 32, 1}, 6}, {{64, 7, 7, 64, 1}, 10}, {{1, 28, 28, 16, 1}, 2},
                       {{3, 8, 8, 5, 1}, 33},    {{2, 1, 5, 2, 1}, 2},    {{2, 5, 1, 3, 1}, 2},
                       {{1, 4, 4, 2, 3}, 2},     {{2, 8, 3, 2, 0}, 3}};

std::string name(const Case& c) {
  return ::testing::PrintToString(c.B) + "x" + std::to_string(c.g.C) + "x" + std::to_string(c.g.H) + "x" +
         std::to_string(c.g.W) + " -> " + std::to_string(c.g.K) + " p" + std::to_string(c.g.pad);
}

// Error allowed against the double direct sum: inputs in [-1, 1], C*9 products per output.
template <class T>
double tolerance(const kern::WinogradGeom& g) {
  return (sizeof(T) == 4 ? 2e-6 : 1e-14) * static_cast<double>(g.C * 9);
}

template <class T>
double max_diff(const std::vector<T>& a, const std::vector<T>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

template <class T>
struct Data {
  std::vector<T> x, w, dy;
  Data(const Case& c)
      : x(random_vector<T>(static_cast<size_t>(c.B * c.g.C * c.g.H * c.g.W), 11)),
        w(random_vector<T>(static_cast<size_t>(c.g.K * c.g.C * 9), 12)),
        dy(random_vector<T>(static_cast<size_t>(c.B * c.g.K * c.g.OH() * c.g.OW()), 13)) {}
};

TYPED_TEST(KernelWinograd, ForwardMatchesDirectConvolution) {
  using T = TypeParam;
  for (const Case& c : kCases) {
    SCOPED_TRACE(name(c));
    const Data<T> d(c);
    std::vector<T> y(d.dy.size(), T(NAN)), want(d.dy.size());
    kern::winograd_forward(c.g, c.B, d.x.data(), d.w.data(), y.data());
    kern::ref::conv3x3_forward(c.g, c.B, d.x.data(), d.w.data(), want.data());
    EXPECT_LE(max_diff(y, want), tolerance<T>(c.g));
  }
}

TYPED_TEST(KernelWinograd, BackwardMatchesDirectConvolution) {
  using T = TypeParam;
  for (const Case& c : kCases) {
    SCOPED_TRACE(name(c));
    const Data<T> d(c);
    const std::vector<T> dw0 = random_vector<T>(d.w.size(), 14);  // dw accumulates into this
    std::vector<T> dx(d.x.size(), T(NAN)), dw = dw0, dx_ref(d.x.size()), dw_ref = dw0;
    kern::winograd_backward(c.g, c.B, d.x.data(), d.w.data(), d.dy.data(), dx.data(), dw.data());
    kern::ref::conv3x3_backward(c.g, c.B, d.x.data(), d.w.data(), d.dy.data(), dx_ref.data(), dw_ref.data());
    const double tiles = static_cast<double>(c.B * c.g.tiles());  // dw sums over every tile
    EXPECT_LE(max_diff(dx, dx_ref), tolerance<T>(kern::WinogradGeom{c.g.K, 1, 1, 1, 0}));
    EXPECT_LE(max_diff(dw, dw_ref), tolerance<T>(c.g) / static_cast<double>(c.g.C) * tiles);
    std::vector<T> dw_alone = dw0;  // without dx: the same weight gradient, bit for bit
    kern::winograd_backward(c.g, c.B, d.x.data(), d.w.data(), d.dy.data(), static_cast<T*>(nullptr), dw_alone.data());
    EXPECT_TRUE(bitwise_equal(dw, dw_alone));
  }
}

TYPED_TEST(KernelWinograd, SameBitsOnOneAndTwoThreads) {
  using T = TypeParam;
  const Case c = kCases[5];
  const Data<T> d(c);
  std::vector<T> y[2], dx[2], dw[2];
  for (int t = 0; t < 2; ++t) {
    kern::configure_threads(t + 1, /*single_threaded_blas=*/true);
    y[t].assign(d.dy.size(), T(0)), dx[t].assign(d.x.size(), T(0)), dw[t].assign(d.w.size(), T(0));
    kern::winograd_forward(c.g, c.B, d.x.data(), d.w.data(), y[t].data());
    kern::winograd_backward(c.g, c.B, d.x.data(), d.w.data(), d.dy.data(), dx[t].data(), dw[t].data());
  }
  kern::configure_threads(1, true);
  EXPECT_TRUE(bitwise_equal(y[0], y[1]));
  EXPECT_TRUE(bitwise_equal(dx[0], dx[1]));
  EXPECT_TRUE(bitwise_equal(dw[0], dw[1]));
}

TEST(KernelWinograd, FitsOnlyUnitStride3x3) {
  EXPECT_TRUE(kern::winograd_fits(3, 3, 1, 1, 1));
  EXPECT_FALSE(kern::winograd_fits(3, 3, 2, 1, 1));
  EXPECT_FALSE(kern::winograd_fits(5, 5, 1, 1, 1));
  EXPECT_FALSE(kern::winograd_fits(3, 3, 1, 2, 1));
  EXPECT_FALSE(kern::winograd_fits(3, 3, 1, 1, 2));
  EXPECT_FALSE(kern::winograd_fits(3, 1, 1, 1, 1));
}

}  // namespace
}  // namespace dpt
