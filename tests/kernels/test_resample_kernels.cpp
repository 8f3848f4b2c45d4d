// Upsampling, shifted-window (pad / crop) and layer-norm kernels against their ref:: twins,
// bitwise, at 1-D, 2-D and 3-D geometries; hand-worked values; the same bits on 1 and 4 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/layernorm.hpp"
#include "kernels/resample.hpp"
#include "kernels/threads.hpp"

namespace dpt {
namespace {

using test::bitwise_equal;
using test::random_vector;

template <class T>
class KernelResample : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(KernelResample, FloatTypes);

const kern::UpsampleGeom kUp[] = {{3, {1, 1, 7}, {1, 1, 2}}, {2, {1, 3, 5}, {1, 3, 3}}, {2, {3, 2, 4}, {2, 2, 2}}};

TYPED_TEST(KernelResample, UpsampleMatchesReferenceBitwise) {
  using T = TypeParam;
  for (const kern::UpsampleGeom& g : kUp) {
    const auto x = random_vector<T>(static_cast<size_t>(g.planes * g.in_size()), 1);
    const auto dy = random_vector<T>(static_cast<size_t>(g.planes * g.out_size()), 2);
    std::vector<T> y(dy.size(), T(NAN)), y_ref = y, dx(x.size(), T(NAN)), dx_ref = dx;
    kern::upsample_nearest_forward(g, x.data(), y.data());
    kern::ref::upsample_nearest_forward(g, x.data(), y_ref.data());
    kern::upsample_nearest_backward(g, dy.data(), dx.data());
    kern::ref::upsample_nearest_backward(g, dy.data(), dx_ref.data());
    EXPECT_TRUE(bitwise_equal(y, y_ref));
    EXPECT_TRUE(bitwise_equal(dx, dx_ref));
  }
}

TEST(KernelResampleValues, UpsampleByHand) {
  const kern::UpsampleGeom g{1, {1, 2, 2}, {1, 2, 2}};
  const std::vector<double> x = {1, 2, 3, 4};
  std::vector<double> y(16), dx(4);
  kern::upsample_nearest_forward(g, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  std::vector<double> dy(16);
  for (size_t i = 0; i < 16; ++i) dy[i] = static_cast<double>(i);
  kern::upsample_nearest_backward(g, dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15}));
}

TYPED_TEST(KernelResample, ShiftCopyMatchesReferenceBitwise) {
  using T = TypeParam;
  const kern::ShiftGeom cases[] = {{3, {1, 1, 9}, {1, 1, 13}, {0, 0, -2}},    // pad 1-D
                                   {3, {1, 1, 9}, {1, 1, 5}, {0, 0, 2}},      // crop 1-D
                                   {2, {1, 5, 4}, {1, 7, 6}, {0, -1, -1}},    // pad 2-D
                                   {2, {4, 5, 6}, {2, 3, 4}, {1, 1, 1}},      // crop 3-D
                                   {2, {2, 3, 2}, {6, 7, 6}, {-2, -2, -2}}};  // pad 3-D
  for (const kern::ShiftGeom& g : cases) {
    const auto x = random_vector<T>(static_cast<size_t>(g.planes * g.in_size()), 3);
    std::vector<T> y(static_cast<size_t>(g.planes * g.out_size()), T(NAN)), y_ref = y;
    kern::shift_copy(g, x.data(), y.data());
    kern::ref::shift_copy(g, x.data(), y_ref.data());
    EXPECT_TRUE(bitwise_equal(y, y_ref));
  }
  const kern::ShiftGeom pad{1, {1, 1, 3}, {1, 1, 5}, {0, 0, -1}};
  const std::vector<T> x = {1, 2, 3};
  std::vector<T> y(5);
  kern::shift_copy(pad, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<T>{0, 1, 2, 3, 0}));
}

TYPED_TEST(KernelResample, LayerNormMatchesReferenceBitwise) {
  using T = TypeParam;
  for (const kern::LnShape s : {kern::LnShape{1, 1}, kern::LnShape{3, 7}, kern::LnShape{5, 300}}) {
    for (const bool affine : {true, false}) {
      const auto x = random_vector<T>(static_cast<size_t>(s.B * s.N), 4, -2, 3);
      const auto dy = random_vector<T>(x.size(), 5);
      const auto gamma = random_vector<T>(static_cast<size_t>(s.N), 6), beta = random_vector<T>(gamma.size(), 7);
      auto pass = [&](bool ref) {
        std::vector<T> y(x.size()), dx(x.size()), dg(gamma.size(), T(0.5)), db(gamma.size(), T(-0.5));
        std::vector<double> mean(static_cast<size_t>(s.B)), invstd(mean.size());
        const T *g = affine ? gamma.data() : nullptr, *b = affine ? beta.data() : nullptr;
        (ref ? kern::ref::layernorm_forward<T> : kern::layernorm_forward<T>)(s, x.data(), g, b, 1e-5, y.data(),
                                                                             mean.data(), invstd.data());
        (ref ? kern::ref::layernorm_backward<T>
             : kern::layernorm_backward<T>)(s, x.data(), dy.data(), g, mean.data(), invstd.data(), dx.data(),
                                            affine ? dg.data() : nullptr, affine ? db.data() : nullptr);
        for (auto* v : {&dx, &dg, &db}) y.insert(y.end(), v->begin(), v->end());
        return y;
      };
      EXPECT_TRUE(bitwise_equal(pass(false), pass(true))) << s.B << "x" << s.N << " affine " << affine;
    }
  }
}

TEST(KernelResampleThreads, IndependentOfThreadCount) {
  const kern::UpsampleGeom g{32, {4, 8, 8}, {2, 2, 2}};
  const kern::ShiftGeom sh{32, {4, 8, 8}, {2, 6, 6}, {1, 1, 1}};
  const kern::LnShape ln{16, 512};  // x holds 16 x 512
  const auto x = random_vector<float>(static_cast<size_t>(g.planes * g.in_size()), 8);
  const auto dy = random_vector<float>(static_cast<size_t>(g.planes * g.out_size()), 9);
  const auto gamma = random_vector<float>(static_cast<size_t>(ln.N), 10);
  auto run = [&](int threads) {
    kern::configure_threads(threads);
    std::vector<float> y(dy.size()), dx(x.size()), c(static_cast<size_t>(sh.planes * sh.out_size()));
    std::vector<float> lx(x.size()), dg(gamma.size(), 0.f), db(gamma.size(), 0.f);
    std::vector<double> m(16), is(16);
    kern::upsample_nearest_forward(g, x.data(), y.data());
    kern::upsample_nearest_backward(g, dy.data(), dx.data());
    kern::shift_copy(sh, x.data(), c.data());
    kern::layernorm_forward(ln, x.data(), gamma.data(), gamma.data(), 1e-5, lx.data(), m.data(), is.data());
    kern::layernorm_backward(ln, x.data(), dy.data(), gamma.data(), m.data(), is.data(), lx.data(), dg.data(),
                             db.data());
    for (auto* v : {&dx, &c, &lx, &dg, &db}) y.insert(y.end(), v->begin(), v->end());
    return y;
  };
  const auto one = run(1), four = run(4);
  kern::configure_threads(1);
  EXPECT_TRUE(bitwise_equal(one, four));
}

}  // namespace
}  // namespace dpt
