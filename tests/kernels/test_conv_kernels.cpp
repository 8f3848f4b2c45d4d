// Convolution and pooling kernels: im2col / col2im_acc against their ref:: twins (bitwise: copies
// and sums in the same order) at strides 1-3, padding 0-2, odd sizes and rectangular kernels;
// max / avg pooling against direct window loops (both the 2x2 / stride 2 fast path and the general
// path) and their ref:: twins; the layout transposes; the group kernels of the conv layer
// (im2col_range, col2im_range_acc, channel_sums_acc); thread-count independence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/im2col.hpp"
#include "kernels/pool.hpp"
#include "kernels/threads.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

template <class T>
class KernelConv : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelConv, FloatTypes);

// B, C, H, W, KH, KW, stride, pad
const kern::ConvGeom kGeoms[] = {
    {1, 1, 7, 5, 1, 1, 1, 0},   {3, 2, 7, 5, 3, 3, 1, 0},   {3, 2, 7, 5, 3, 3, 1, 1},   {2, 3, 7, 5, 3, 3, 2, 1},
    {3, 2, 8, 6, 3, 3, 2, 0},   {2, 2, 7, 6, 5, 5, 2, 2},   {3, 1, 5, 7, 5, 5, 1, 2},   {2, 2, 7, 5, 3, 5, 1, 2},
    {3, 2, 9, 7, 3, 3, 3, 1},   {2, 3, 5, 4, 1, 1, 1, 1},   {4, 2, 3, 3, 3, 3, 1, 0},   {2, 2, 7, 5, 2, 2, 2, 1},
    {5, 3, 13, 11, 3, 3, 1, 1}, {2, 3, 28, 28, 3, 3, 1, 1}, {3, 2, 14, 14, 3, 3, 1, 1}, {3, 2, 7, 7, 3, 3, 1, 1},
    {2, 2, 7, 7, 5, 5, 1, 2},   {2, 2, 16, 16, 3, 3, 1, 0}, {2, 1, 30, 32, 3, 3, 1, 1}, {2, 1, 3, 130, 3, 3, 1, 1}};

template <class T>
size_t col_size(const kern::ConvGeom& g) {
  return static_cast<size_t>(g.C * g.KH * g.KW * g.B * g.OH() * g.OW());
}

TYPED_TEST(KernelConv, Im2colMatchesReferenceAndDefinition) {
  using T = TypeParam;
  for (const auto& g : kGeoms) {
    SCOPED_TRACE(::testing::Message() << "B" << g.B << " C" << g.C << " " << g.H << "x" << g.W << " k" << g.KH << "x"
                                      << g.KW << " s" << g.stride << " p" << g.pad);
    const auto x = random_vector<T>(static_cast<size_t>(g.B * g.C * g.H * g.W), 1);
    std::vector<T> col(col_size<T>(g), T(NAN)), col_ref(col.size(), T(-7));
    kern::im2col(g, x.data(), col.data());
    kern::ref::im2col(g, x.data(), col_ref.data());
    EXPECT_TRUE(bitwise_equal(col, col_ref));
    // Spot check of the documented layout: row (c, i, j), column (b, oy, ox).
    const int64_t OH = g.OH(), OW = g.OW(), ncol = g.B * OH * OW;
    const int64_t c = g.C - 1, i = g.KH / 2, j = g.KW - 1, b = g.B - 1, oy = OH - 1, ox = 0;
    const int64_t yy = oy * g.stride - g.pad + i, xx = ox * g.stride - g.pad + j;
    const T want = yy >= 0 && yy < g.H && xx >= 0 && xx < g.W ? x[((b * g.C + c) * g.H + yy) * g.W + xx] : T(0);
    EXPECT_EQ(col[((c * g.KH + i) * g.KW + j) * ncol + (b * OH + oy) * OW + ox], want);
  }
}

TYPED_TEST(KernelConv, Col2imAccumulatesLikeReferenceAndIsTheAdjointOfIm2col) {
  using T = TypeParam;
  for (const auto& g : kGeoms) {
    SCOPED_TRACE(::testing::Message() << "B" << g.B << " " << g.H << "x" << g.W << " k" << g.KH << " s" << g.stride
                                      << " p" << g.pad);
    const auto dcol = random_vector<T>(col_size<T>(g), 2);
    const auto dx0 = random_vector<T>(static_cast<size_t>(g.B * g.C * g.H * g.W), 3);  // accumulated into
    auto dx = dx0, dx_ref = dx0;
    kern::col2im_acc(g, dcol.data(), dx.data());
    kern::ref::col2im_acc(g, dcol.data(), dx_ref.data());
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    // <im2col(x), dcol> == <x, col2im(dcol)>: col2im is the transpose of im2col.
    const auto x = random_vector<T>(dx0.size(), 4);
    std::vector<T> col(dcol.size()), back(dx0.size(), T(0));
    kern::im2col(g, x.data(), col.data());
    kern::col2im_acc(g, dcol.data(), back.data());
    double lhs = 0, rhs = 0;
    for (size_t k = 0; k < col.size(); ++k) lhs += static_cast<double>(col[k]) * dcol[k];
    for (size_t k = 0; k < x.size(); ++k) rhs += static_cast<double>(x[k]) * back[k];
    EXPECT_NEAR(lhs, rhs, (sizeof(T) == 4 ? 1e-4 : 1e-12) * (1 + std::abs(lhs)));
  }
}

// Groups of samples [b0, b0 + nb): im2col_range's block holds exactly those samples' columns of the
// whole batch's col; col2im_range_acc over consecutive groups adds up to ref::col2im_acc (bitwise:
// each dx element receives its taps in the same (i, j) order).
TYPED_TEST(KernelConv, Im2colAndCol2imRangesMatchTheWholeBatch) {
  using T = TypeParam;
  for (const auto& g : kGeoms) {
    SCOPED_TRACE(::testing::Message() << "B" << g.B << " C" << g.C << " " << g.H << "x" << g.W << " k" << g.KH << "x"
                                      << g.KW << " s" << g.stride << " p" << g.pad);
    const int64_t P = g.OH() * g.OW(), rows = g.C * g.KH * g.KW, ncol = g.B * P;
    const auto x = random_vector<T>(static_cast<size_t>(g.B * g.C * g.H * g.W), 21);
    const auto dcol = random_vector<T>(col_size<T>(g), 22);
    std::vector<T> col_ref(col_size<T>(g));
    kern::ref::im2col(g, x.data(), col_ref.data());
    auto dx = random_vector<T>(x.size(), 23), dx_ref = dx;
    kern::ref::col2im_acc(g, dcol.data(), dx_ref.data());
    const int64_t sizes[] = {1, 2, g.B};
    for (int gi = 0; gi < 3; ++gi) {
      const int64_t G = sizes[gi];
      for (int64_t b0 = 0; b0 < g.B; b0 += G) {
        const int64_t nb = std::min(G, g.B - b0);
        std::vector<T> block(static_cast<size_t>(rows * nb * P), T(NAN)), want(block.size()), dblock(block.size());
        kern::im2col_range(g, x.data(), b0, nb, block.data());
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t k = 0; k < nb * P; ++k) {
            want[static_cast<size_t>(r * nb * P + k)] = col_ref[static_cast<size_t>(r * ncol + b0 * P + k)];
            dblock[static_cast<size_t>(r * nb * P + k)] = dcol[static_cast<size_t>(r * ncol + b0 * P + k)];
          }
        ASSERT_TRUE(bitwise_equal(block, want)) << "G " << G << " b0 " << b0;
        if (gi == 1) kern::col2im_range_acc(g, dblock.data(), b0, nb, dx.data());  // groups of 2
      }
    }
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
  }
}

TYPED_TEST(KernelConv, ChannelSumsMatchReference) {
  using T = TypeParam;
  for (const int64_t M : {1, 7, 16, 35, 64, 577}) {
    constexpr int64_t B = 5, C = 3;
    const auto dy = random_vector<T>(static_cast<size_t>(B * C * M), 24);
    auto db = random_vector<T>(C, 25), db_ref = db;  // accumulated into
    kern::channel_sums_acc(dy.data(), db.data(), B, C, M);
    kern::ref::channel_sums_acc(dy.data(), db_ref.data(), B, C, M);
    for (int64_t c = 0; c < C; ++c) EXPECT_NEAR(db[c], db_ref[c], (sizeof(T) == 4 ? 1e-5 : 1e-13) * B * M) << M;
  }
}

TYPED_TEST(KernelConv, LayoutTransposesAreInverse) {
  using T = TypeParam;
  constexpr int64_t B = 3, N = 4, M = 35;
  const auto a = random_vector<T>(B * N * M, 5);  // (B, N, M)
  std::vector<T> cm(a.size()), back(a.size());
  kern::batch_to_channel_major(a.data(), cm.data(), B, N, M);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t m = 0; m < M; ++m) ASSERT_EQ(cm[(n * B + b) * M + m], a[(b * N + n) * M + m]);
  kern::channel_to_batch_major(cm.data(), back.data(), B, N, M);
  EXPECT_TRUE(bitwise_equal(back, a));
}

// B*C planes, H, W, k, stride, pad
const kern::PoolGeom kPools[] = {{6, 7, 5, 2, 2, 0}, {3, 6, 8, 2, 2, 0},   {300, 7, 5, 2, 2, 0}, {6, 7, 5, 2, 2, 1},
                                 {6, 7, 5, 2, 1, 0}, {6, 7, 5, 3, 2, 1},   {4, 5, 7, 3, 1, 1},   {6, 7, 6, 5, 2, 2},
                                 {6, 7, 5, 3, 3, 0}, {300, 9, 7, 3, 2, 1}, {2, 5, 5, 1, 1, 0},   {4, 1, 1, 1, 1, 0}};

// Max (ties impossible: distinct values) or mean with count_include_pad, and the argmax.
template <class T>
void direct_pool(const kern::PoolGeom& g, const std::vector<T>& x, bool max, std::vector<double>& y,
                 std::vector<int32_t>& arg) {
  const int64_t OH = g.OH(), OW = g.OW();
  y.assign(static_cast<size_t>(g.planes * OH * OW), 0), arg.assign(y.size(), -1);
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oy = 0; oy < OH; ++oy)
      for (int64_t ox = 0; ox < OW; ++ox) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        int32_t at = -1;
        for (int64_t i = 0; i < g.k; ++i)
          for (int64_t j = 0; j < g.k; ++j) {
            const int64_t yy = oy * g.stride - g.pad + i, xx = ox * g.stride - g.pad + j;
            if (yy < 0 || yy >= g.H || xx < 0 || xx >= g.W) continue;
            const double v = x[(p * g.H + yy) * g.W + xx];
            sum += v;
            if (v > best) best = v, at = static_cast<int32_t>(yy * g.W + xx);
          }
        const size_t o = static_cast<size_t>((p * OH + oy) * OW + ox);
        y[o] = max ? best : sum / static_cast<double>(g.k * g.k), arg[o] = at;
      }
}

// n distinct values: a permutation of a grid (exact in float).
template <class T>
std::vector<T> distinct(size_t n, uint64_t seed) {
  Rng rng(seed);
  const auto perm = random_permutation(static_cast<int64_t>(n), rng);
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>((static_cast<double>(perm[i]) - n / 2.0) / 64);
  return v;
}

TYPED_TEST(KernelConv, MaxPoolMatchesDirectLoopsAndReference) {
  using T = TypeParam;
  for (const auto& g : kPools) {
    SCOPED_TRACE(::testing::Message() << g.planes << "x" << g.H << "x" << g.W << " k" << g.k << " s" << g.stride << " p"
                                      << g.pad);
    const auto x = distinct<T>(static_cast<size_t>(g.planes * g.H * g.W), 6);
    const size_t out = static_cast<size_t>(g.planes * g.OH() * g.OW());
    std::vector<T> y(out), y_ref(out);
    std::vector<int32_t> arg(out, -9), arg_ref(out, -9);
    kern::maxpool_forward(g, x.data(), y.data(), arg.data());
    kern::ref::maxpool_forward(g, x.data(), y_ref.data(), arg_ref.data());
    std::vector<double> want;
    std::vector<int32_t> want_arg;
    direct_pool(g, x, true, want, want_arg);
    for (size_t o = 0; o < out; ++o) {
      ASSERT_EQ(static_cast<double>(y[o]), want[o]) << o;
      ASSERT_EQ(arg[o], want_arg[o]) << o;
    }
    EXPECT_TRUE(bitwise_equal(y, y_ref));
    EXPECT_EQ(arg, arg_ref);

    // Backward: dx (overwritten; NaN before) is dy routed to the argmax, summed where windows share it.
    const auto dy = random_vector<T>(out, 7);
    std::vector<T> dx(x.size(), T(NAN)), dx_ref(x.size(), T(NAN));
    kern::maxpool_backward(g, dy.data(), arg.data(), dx.data());
    kern::ref::maxpool_backward(g, dy.data(), arg.data(), dx_ref.data());
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    std::vector<double> want_dx(x.size(), 0.0);
    const int64_t in = g.H * g.W, per = g.OH() * g.OW();
    for (size_t o = 0; o < out; ++o) want_dx[static_cast<size_t>(static_cast<int64_t>(o) / per * in + arg[o])] += dy[o];
    for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(dx[i], want_dx[i], 1e-6) << i;
  }
}

TYPED_TEST(KernelConv, AvgPoolMatchesDirectLoopsAndReference) {
  using T = TypeParam;
  const double tol = sizeof(T) == 4 ? 1e-6 : 1e-15;
  for (const auto& g : kPools) {
    SCOPED_TRACE(::testing::Message() << g.planes << "x" << g.H << "x" << g.W << " k" << g.k << " s" << g.stride << " p"
                                      << g.pad);
    const auto x = random_vector<T>(static_cast<size_t>(g.planes * g.H * g.W), 8);
    const size_t out = static_cast<size_t>(g.planes * g.OH() * g.OW());
    std::vector<T> y(out), y_ref(out);
    kern::avgpool_forward(g, x.data(), y.data());
    kern::ref::avgpool_forward(g, x.data(), y_ref.data());
    EXPECT_TRUE(bitwise_equal(y, y_ref));
    std::vector<double> want;
    std::vector<int32_t> unused;
    direct_pool(g, x, false, want, unused);
    for (size_t o = 0; o < out; ++o) ASSERT_NEAR(y[o], want[o], tol) << o;

    const auto dy = random_vector<T>(out, 9);
    std::vector<T> dx(x.size(), T(NAN)), dx_ref(x.size(), T(NAN));
    kern::avgpool_backward(g, dy.data(), dx.data());
    kern::ref::avgpool_backward(g, dy.data(), dx_ref.data());
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
    // Adjoint: <avgpool(x), dy> == <x, avgpool_backward(dy)>.
    double lhs = 0, rhs = 0;
    for (size_t o = 0; o < out; ++o) lhs += static_cast<double>(y[o]) * dy[o];
    for (size_t i = 0; i < x.size(); ++i) rhs += static_cast<double>(x[i]) * dx[i];
    EXPECT_NEAR(lhs, rhs, 1e3 * tol * (1 + std::abs(lhs)));
  }
}

template <class F>
auto under_1_and_2_threads(F&& f) {
  kern::configure_threads(1);
  auto one = f();
  kern::configure_threads(2);
  auto two = f();
  return std::make_pair(one, two);
}

TEST(KernelConvThreads, Col2imGroupKernelsAndPoolingAreIndependentOfThreadCount) {
  const kern::ConvGeom g{16, 3, 13, 11, 3, 3, 2, 1};
  const auto dcol = random_vector<float>(col_size<float>(g), 10);
  const auto [c1, c2] = under_1_and_2_threads([&] {
    auto dx = random_vector<float>(static_cast<size_t>(g.B * g.C * g.H * g.W), 11);
    kern::col2im_acc(g, dcol.data(), dx.data());
    return dx;
  });
  EXPECT_TRUE(bitwise_equal(c1, c2));

  const auto [r1, r2] = under_1_and_2_threads([&] {  // the conv layer's group kernels
    std::vector<float> col(col_size<float>(g) / 16 * 5), dx(static_cast<size_t>(g.B * g.C * g.H * g.W), 0.5f);
    kern::im2col_range(g, dcol.data(), 3, 5, col.data());  // any finite input will do
    kern::col2im_range_acc(g, dcol.data(), 3, 5, dx.data());
    std::vector<float> db(7, 0.25f);
    kern::channel_sums_acc(dcol.data(), db.data(), 16, 7, 97);
    col.insert(col.end(), dx.begin(), dx.end());
    col.insert(col.end(), db.begin(), db.end());
    return col;
  });
  EXPECT_TRUE(bitwise_equal(r1, r2));

  for (const kern::PoolGeom p : {kern::PoolGeom{600, 9, 7, 3, 2, 1}, kern::PoolGeom{600, 12, 12, 2, 2, 0}}) {
    SCOPED_TRACE(p.k);
    const auto x = random_vector<float>(static_cast<size_t>(p.planes * p.H * p.W), 12);
    const auto dy = random_vector<float>(static_cast<size_t>(p.planes * p.OH() * p.OW()), 13);
    const auto [p1, p2] = under_1_and_2_threads([&] {
      std::vector<float> y(dy.size()), dx(x.size()), y2(dy.size()), dx2(x.size());
      std::vector<int32_t> arg(dy.size());
      kern::maxpool_forward(p, x.data(), y.data(), arg.data());
      kern::maxpool_backward(p, dy.data(), arg.data(), dx.data());
      kern::avgpool_forward(p, x.data(), y2.data());
      kern::avgpool_backward(p, dy.data(), dx2.data());
      y.insert(y.end(), dx.begin(), dx.end());
      y.insert(y.end(), y2.begin(), y2.end());
      y.insert(y.end(), dx2.begin(), dx2.end());
      return y;
    });
    EXPECT_TRUE(bitwise_equal(p1, p2));
  }
}

}  // namespace
}  // namespace dpt
