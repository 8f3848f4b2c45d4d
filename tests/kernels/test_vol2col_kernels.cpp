// vol2col_range / col2vol_range_acc (N-d convolution, per-axis kernel, stride, padding, dilation)
// against their ref:: twins (bitwise: copies and sums in the same order) at odd sizes with every
// axis different, 1-D (D = H = 1) and 2-D (D = 1) cases; the documented layout; col2vol is the
// adjoint of vol2col; at D = 1 vol2col equals im2col_range; thread-count independence.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/im2col.hpp"
#include "kernels/threads.hpp"
#include "kernels/vol2col.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

template <class T>
class KernelVol2col : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelVol2col, FloatTypes);

// B, C, (D, H, W), k, s, p, d
const kern::VolGeom kGeoms[] = {
    {2, 3, {5, 6, 7}, {3, 2, 3}, {1, 2, 1}, {1, 0, 2}, {1, 1, 2}},
    {3, 2, {7, 5, 9}, {2, 3, 1}, {2, 1, 3}, {0, 2, 1}, {2, 1, 1}},
    {1, 1, {4, 4, 4}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}},
    {2, 2, {6, 7, 8}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}},
    {3, 2, {5, 9, 6}, {4, 2, 3}, {3, 1, 2}, {2, 1, 0}, {1, 3, 1}},
    {2, 3, {1, 1, 23}, {1, 1, 5}, {1, 1, 2}, {0, 0, 2}, {1, 1, 1}},  // 1-D
    {3, 2, {1, 1, 17}, {1, 1, 3}, {1, 1, 1}, {0, 0, 3}, {1, 1, 3}},  // 1-D dilated
    {2, 2, {1, 9, 11}, {1, 3, 2}, {1, 2, 1}, {0, 1, 1}, {1, 1, 2}},  // 2-D
    {2, 2, {3, 4, 5}, {3, 4, 5}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}},   // kernel = volume
    {2, 1, {2, 3, 2}, {3, 3, 3}, {2, 2, 2}, {2, 1, 2}, {1, 1, 1}},   // padding larger than the volume
};

std::string name(const kern::VolGeom& g) {
  return fmt::format("B{} C{} in {}x{}x{} k {}x{}x{} s {},{},{} p {},{},{} d {},{},{}", g.B, g.C, g.in[0], g.in[1],
                     g.in[2], g.k[0], g.k[1], g.k[2], g.s[0], g.s[1], g.s[2], g.p[0], g.p[1], g.p[2], g.d[0], g.d[1],
                     g.d[2]);
}

size_t vol_size(const kern::VolGeom& g) { return static_cast<size_t>(g.B * g.C * g.in_size()); }
size_t col_size(const kern::VolGeom& g, int64_t nb) { return static_cast<size_t>(g.C * g.taps() * nb * g.out_size()); }

TYPED_TEST(KernelVol2col, Vol2colMatchesReferenceAndDefinitionPerBlock) {
  using T = TypeParam;
  for (const auto& g : kGeoms) {
    SCOPED_TRACE(name(g));
    const auto x = random_vector<T>(vol_size(g), 1);
    for (int64_t nb : {int64_t{1}, int64_t{2}, g.B})
      for (int64_t b0 = 0; b0 < g.B; b0 += nb) {
        const int64_t n = std::min(nb, g.B - b0);
        std::vector<T> col(col_size(g, n), T(NAN)), col_ref(col.size(), T(-7));
        kern::vol2col_range(g, x.data(), b0, n, col.data());
        kern::ref::vol2col_range(g, x.data(), b0, n, col_ref.data());
        ASSERT_TRUE(bitwise_equal(col, col_ref)) << "nb " << n << " b0 " << b0;
      }
    // The documented layout at one element: row (c, i, j, l), column (s, oz, oy, ox).
    std::vector<T> col(col_size(g, g.B));
    kern::vol2col_range(g, x.data(), 0, g.B, col.data());
    const int64_t c = g.C - 1, t[3] = {g.k[0] - 1, g.k[1] / 2, 0}, o[3] = {g.out(0) / 2, g.out(1) - 1, 0}, s = g.B - 1;
    int64_t src = s * g.C + c;
    bool inside = true;
    for (int a = 0; a < 3; ++a) {
      const int64_t v = o[a] * g.s[a] - g.p[a] + t[a] * g.d[a];
      inside = inside && v >= 0 && v < g.in[a];
      src = src * g.in[a] + v;
    }
    const int64_t row = ((c * g.k[0] + t[0]) * g.k[1] + t[1]) * g.k[2] + t[2];
    const int64_t column = ((s * g.out(0) + o[0]) * g.out(1) + o[1]) * g.out(2) + o[2];
    EXPECT_EQ(col[static_cast<size_t>(row * g.B * g.out_size() + column)], inside ? x[static_cast<size_t>(src)] : T(0));
  }
}

TYPED_TEST(KernelVol2col, Col2volAccumulatesLikeReferenceAndIsTheAdjointOfVol2col) {
  using T = TypeParam;
  for (const auto& g : kGeoms) {
    SCOPED_TRACE(name(g));
    const auto dx0 = random_vector<T>(vol_size(g), 3);  // accumulated into
    auto dx = dx0, dx_ref = dx0;
    for (int64_t b0 = 0; b0 < g.B; b0 += 2) {  // blocks of 2
      const int64_t n = std::min<int64_t>(2, g.B - b0);
      const auto dcol = random_vector<T>(col_size(g, n), 2 + static_cast<uint64_t>(b0));
      kern::col2vol_range_acc(g, dcol.data(), b0, n, dx.data());
      kern::ref::col2vol_range_acc(g, dcol.data(), b0, n, dx_ref.data());
    }
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    // <vol2col(x), dcol> == <x, col2vol(dcol)>
    const auto x = random_vector<T>(dx0.size(), 4), dcol = random_vector<T>(col_size(g, g.B), 5);
    std::vector<T> col(dcol.size()), back(dx0.size(), T(0));
    kern::vol2col_range(g, x.data(), 0, g.B, col.data());
    kern::col2vol_range_acc(g, dcol.data(), 0, g.B, back.data());
    double lhs = 0, rhs = 0;
    for (size_t k = 0; k < col.size(); ++k) lhs += static_cast<double>(col[k]) * dcol[k];
    for (size_t k = 0; k < x.size(); ++k) rhs += static_cast<double>(x[k]) * back[k];
    EXPECT_NEAR(lhs, rhs, (sizeof(T) == 4 ? 1e-4 : 1e-12) * (1 + std::abs(lhs)));
  }
}

// At D = 1 with one stride, padding and dilation for H and W, vol2col is the 2-D im2col (the
// kernel conv2d uses), and col2vol the 2-D col2im: the same bits.
TEST(KernelVol2colPlain, TwoDimensionalCaseIsIm2col) {
  for (const kern::ConvGeom& c : {kern::ConvGeom{3, 2, 9, 7, 3, 3, 2, 1, 1}, kern::ConvGeom{2, 3, 11, 8, 2, 3, 1, 2, 2},
                                  kern::ConvGeom{4, 1, 28, 28, 3, 3, 1, 1, 1}}) {
    const kern::VolGeom g{
        c.B, c.C, {1, c.H, c.W}, {1, c.KH, c.KW}, {1, c.stride, c.stride}, {0, c.pad, c.pad}, {1, c.dil, c.dil}};
    ASSERT_EQ(g.out(1), c.OH());
    ASSERT_EQ(g.out(2), c.OW());
    const auto x = random_vector<float>(vol_size(g), 6), dcol = random_vector<float>(col_size(g, 2), 7);
    std::vector<float> a(col_size(g, 2)), b(a.size());
    kern::vol2col_range(g, x.data(), c.B - 2, 2, a.data());  // the last two samples
    kern::im2col_range(c, x.data(), c.B - 2, 2, b.data());
    EXPECT_TRUE(bitwise_equal(a, b));
    auto dx = random_vector<float>(x.size(), 8), dx2 = dx;
    kern::col2vol_range_acc(g, dcol.data(), c.B - 2, 2, dx.data());
    kern::col2im_range_acc(c, dcol.data(), c.B - 2, 2, dx2.data());
    EXPECT_TRUE(bitwise_equal(dx, dx2));
  }
}

TEST(KernelVol2colPlain, IndependentOfThreadCount) {
  const kern::VolGeom g{6, 5, {7, 9, 8}, {3, 2, 3}, {2, 1, 1}, {1, 1, 2}, {1, 2, 1}};
  const auto x = random_vector<float>(vol_size(g), 9), dcol = random_vector<float>(col_size(g, 4), 10);
  auto run = [&] {
    std::vector<float> col(col_size(g, 4)), dx(vol_size(g), 0.5f);
    kern::vol2col_range(g, x.data(), 2, 4, col.data());
    kern::col2vol_range_acc(g, dcol.data(), 2, 4, dx.data());
    col.insert(col.end(), dx.begin(), dx.end());
    return col;
  };
  kern::configure_threads(1);
  const auto one = run();
  kern::configure_threads(4);
  const auto four = run();
  EXPECT_TRUE(bitwise_equal(one, four));
}

}  // namespace
}  // namespace dpt
