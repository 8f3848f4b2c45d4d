// Dilated and depthwise convolution kernels: im2col / col2im with dilation against their ref::
// twins (bitwise) and the definition; the direct depthwise convolution (forward, input and weight
// gradients) against its ref:: twin (y and dx bitwise: the same sums in the same order; dw to
// rounding: its sums are grouped by column), against im2col + per-channel dot products, and as its
// own adjoint; thread-count independence.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/depthwise.hpp"
#include "kernels/im2col.hpp"
#include "kernels/threads.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

template <class T>
class KernelDepthwise : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelDepthwise, FloatTypes);

// B, C, H, W, KH, KW, stride, pad, dilation
const kern::ConvGeom kGeoms[] = {
    {2, 3, 7, 5, 3, 3, 1, 0, 2},   {3, 2, 9, 8, 3, 3, 1, 2, 2}, {2, 3, 9, 7, 3, 3, 2, 1, 2},
    {2, 2, 11, 9, 3, 2, 1, 1, 3},  {1, 2, 8, 8, 5, 5, 2, 4, 2}, {2, 4, 7, 5, 3, 3, 1, 1, 1},
    {3, 2, 8, 6, 3, 3, 2, 1, 1},   {2, 3, 7, 6, 5, 5, 2, 2, 1}, {2, 2, 9, 7, 3, 3, 3, 1, 1},
    {2, 3, 5, 4, 1, 1, 1, 1, 1},   {2, 2, 3, 3, 3, 3, 1, 0, 1}, {2, 2, 6, 6, 2, 2, 2, 1, 2},
    {4, 5, 13, 11, 3, 3, 2, 1, 1}, {1, 1, 4, 4, 3, 3, 1, 3, 3}};

std::string name(const kern::ConvGeom& g) {
  return ::testing::PrintToString(std::vector<int64_t>{g.B, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.dil});
}

TYPED_TEST(KernelDepthwise, DilatedIm2colAndCol2imMatchReferenceAndDefinition) {
  using T = TypeParam;
  for (const auto& g : kGeoms) {
    SCOPED_TRACE(name(g));
    const int64_t OH = g.OH(), OW = g.OW(), ncol = g.B * OH * OW, nx = g.B * g.C * g.H * g.W;
    ASSERT_EQ(OH, (g.H + 2 * g.pad - g.dil * (g.KH - 1) - 1) / g.stride + 1);
    const auto x = random_vector<T>(static_cast<size_t>(nx), 1);
    std::vector<T> col(static_cast<size_t>(g.C * g.KH * g.KW * ncol), T(NAN)), col_ref(col.size(), T(-7));
    kern::im2col(g, x.data(), col.data());
    kern::ref::im2col(g, x.data(), col_ref.data());
    EXPECT_TRUE(bitwise_equal(col, col_ref));
    for (int64_t c = 0; c < g.C; ++c)  // the documented layout, every entry
      for (int64_t i = 0; i < g.KH; ++i)
        for (int64_t j = 0; j < g.KW; ++j)
          for (int64_t b = 0; b < g.B; ++b)
            for (int64_t oy = 0; oy < OH; ++oy)
              for (int64_t ox = 0; ox < OW; ++ox) {
                const int64_t yy = oy * g.stride - g.pad + i * g.dil, xx = ox * g.stride - g.pad + j * g.dil;
                const T want =
                    yy >= 0 && yy < g.H && xx >= 0 && xx < g.W ? x[((b * g.C + c) * g.H + yy) * g.W + xx] : T(0);
                ASSERT_EQ(col[((c * g.KH + i) * g.KW + j) * ncol + (b * OH + oy) * OW + ox], want);
              }
    const auto dcol = random_vector<T>(col.size(), 2), dx0 = random_vector<T>(static_cast<size_t>(nx), 3);
    auto dx = dx0, dx_ref = dx0;
    kern::col2im_acc(g, dcol.data(), dx.data());
    kern::ref::col2im_acc(g, dcol.data(), dx_ref.data());
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    // The sample-block version the conv layer uses, on the last sample alone.
    std::vector<T> col1(static_cast<size_t>(g.C * g.KH * g.KW * OH * OW));
    kern::im2col_range(g, x.data(), g.B - 1, 1, col1.data());
    for (int64_t r = 0; r < g.C * g.KH * g.KW; ++r)
      for (int64_t m = 0; m < OH * OW; ++m) ASSERT_EQ(col1[r * OH * OW + m], col[r * ncol + (g.B - 1) * OH * OW + m]);
  }
}

// y[b, c] from im2col: the channel's KH*KW rows of col dotted with its filter, taps in order.
template <class T>
std::vector<T> depthwise_via_im2col(const kern::ConvGeom& g, const std::vector<T>& x, const std::vector<T>& w) {
  const int64_t P = g.OH() * g.OW(), K = g.KH * g.KW, ncol = g.B * P;
  std::vector<T> col(static_cast<size_t>(g.C * K * ncol)), y(static_cast<size_t>(g.B * g.C * P));
  kern::ref::im2col(g, x.data(), col.data());
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t m = 0; m < P; ++m) {
        double acc = 0;
        for (int64_t t = 0; t < K; ++t) acc += static_cast<double>(w[c * K + t]) * col[(c * K + t) * ncol + b * P + m];
        y[(b * g.C + c) * P + m] = static_cast<T>(acc);
      }
  return y;
}

TYPED_TEST(KernelDepthwise, DepthwiseMatchesReferenceBitwiseAndIm2colToRounding) {
  using T = TypeParam;
  const double tol = sizeof(T) == 4 ? 1e-5 : 1e-13;
  for (const auto& g : kGeoms) {
    SCOPED_TRACE(name(g));
    const int64_t P = g.OH() * g.OW(), nx = g.B * g.C * g.H * g.W;
    const auto x = random_vector<T>(static_cast<size_t>(nx), 4);
    const auto w = random_vector<T>(static_cast<size_t>(g.C * g.KH * g.KW), 5);
    const auto dy = random_vector<T>(static_cast<size_t>(g.B * g.C * P), 6);
    std::vector<T> y(dy.size(), T(NAN)), y_ref(dy.size(), T(NAN));
    kern::depthwise_forward(g, x.data(), w.data(), y.data());
    kern::ref::depthwise_forward(g, x.data(), w.data(), y_ref.data());
    EXPECT_TRUE(bitwise_equal(y, y_ref));
    const auto y_col = depthwise_via_im2col(g, x, w);
    for (size_t k = 0; k < y.size(); ++k) ASSERT_NEAR(y[k], y_col[k], tol) << k;

    std::vector<T> dx(x.size(), T(NAN)), dx_ref(x.size(), T(7));  // overwritten
    kern::depthwise_backward_data(g, dy.data(), w.data(), dx.data());
    kern::ref::depthwise_backward_data(g, dy.data(), w.data(), dx_ref.data());
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    auto dw = random_vector<T>(w.size(), 7), dw_ref = dw;  // accumulated into
    kern::depthwise_backward_weight_acc(g, x.data(), dy.data(), dw.data());
    kern::ref::depthwise_backward_weight_acc(g, x.data(), dy.data(), dw_ref.data());
    for (size_t k = 0; k < dw.size(); ++k) ASSERT_NEAR(dw[k], dw_ref[k], tol * (1 + std::abs(dw_ref[k]))) << k;
    // Adjoints: <y(x), dy> = <x, dx(dy)> and, with dw from 0, = <w, dw>.
    double ydy = 0, xdx = 0, wdw = 0;
    std::vector<T> dw0(w.size(), T(0));
    kern::depthwise_backward_weight_acc(g, x.data(), dy.data(), dw0.data());
    for (size_t k = 0; k < y.size(); ++k) ydy += static_cast<double>(y[k]) * dy[k];
    for (size_t k = 0; k < x.size(); ++k) xdx += static_cast<double>(x[k]) * dx[k];
    for (size_t k = 0; k < w.size(); ++k) wdw += static_cast<double>(w[k]) * dw0[k];
    EXPECT_NEAR(ydy, xdx, 100 * tol * (1 + std::abs(ydy)));
    EXPECT_NEAR(ydy, wdw, 100 * tol * (1 + std::abs(ydy)));
  }
}

// Depthwise, dilated im2col / col2im: the same bits on 1 and 2 threads.
TEST(KernelDepthwiseThreads, IndependentOfThreadCount) {
  const kern::ConvGeom g{16, 32, 16, 16, 3, 3, 2, 2, 2};
  const int64_t P = g.OH() * g.OW(), nx = g.B * g.C * g.H * g.W;
  const auto x = random_vector<float>(static_cast<size_t>(nx), 10), w = random_vector<float>(32 * 9, 11);
  const auto dy = random_vector<float>(static_cast<size_t>(g.B * g.C * P), 12);
  auto run = [&](int threads) {
    kern::configure_threads(threads);
    std::vector<float> y(dy.size()), dx(x.size()), dw(w.size(), 0.0f);
    std::vector<float> col(static_cast<size_t>(g.C * 9 * g.B * P)), back(x.size(), 0.0f);
    kern::depthwise_forward(g, x.data(), w.data(), y.data());
    kern::depthwise_backward_data(g, dy.data(), w.data(), dx.data());
    kern::depthwise_backward_weight_acc(g, x.data(), dy.data(), dw.data());
    kern::im2col(g, x.data(), col.data());
    kern::col2im_acc(g, col.data(), back.data());
    for (const auto* v : {&dx, &dw, &col, &back}) y.insert(y.end(), v->begin(), v->end());
    return y;
  };
  const auto one = run(1), two = run(2);
  kern::configure_threads(1);
  EXPECT_TRUE(bitwise_equal(one, two));
}

}  // namespace
}  // namespace dpt
