// LayerNorm<double> over features (D), signals (C, L) and volumes (C, D, H, W), with and without
// elementwise_affine: forward against the formula written here, input and parameter gradients
// against central finite differences, the accumulate / overwrite contract of backward, and the
// same bits on 1 and 4 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "grad_check.hpp"
#include "layers/layernorm.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

TEST(LayerNorm, ForwardMatchesTheFormulaAndGradientsMatchFiniteDifferences) {
  for (const Shape& in : {Shape{6}, Shape{3, 5}, Shape{2, 3, 2, 3}}) {
    for (const bool affine : {true, false}) {
      SCOPED_TRACE(::testing::Message() << shape_str(in) << " affine " << affine);
      LayerNorm<double> ln(in, 1e-5, affine);
      ASSERT_EQ(ln.params().size(), affine ? 2u : 0u);
      if (affine) {
        EXPECT_EQ(ln.params()[0].shape, in);
      }
      auto b = test::bind_random(ln, 1, 0.5, 1.5);
      const int64_t B = 3, N = numel(in);
      auto x = test::random_doubles(static_cast<size_t>(B * N), 2, -2, 3);
      std::vector<double> y(x.size());
      ln.forward(x.data(), y.data(), B);
      for (int64_t s = 0; s < B; ++s) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < N; ++i) mean += x[static_cast<size_t>(s * N + i)] / static_cast<double>(N);
        for (int64_t i = 0; i < N; ++i)
          var += std::pow(x[static_cast<size_t>(s * N + i)] - mean, 2) / static_cast<double>(N);
        for (int64_t i = 0; i < N; ++i) {
          const double xhat = (x[static_cast<size_t>(s * N + i)] - mean) / std::sqrt(var + 1e-5);
          const double want =
              affine ? xhat * b.params[static_cast<size_t>(i)] + b.params[static_cast<size_t>(N + i)] : xhat;
          EXPECT_NEAR(y[static_cast<size_t>(s * N + i)], want, 1e-12);
        }
      }
      test::check_layer_gradients(ln, b, x, B, 3);
    }
  }
}

TEST(LayerNorm, InitBackwardAccumulatesAndOverwritesDx) {
  const Shape in{2, 4};
  LayerNorm<double> ln(in, 1e-5, true);
  auto b = test::bind_random(ln, 4);
  Rng rng(1);
  ln.init(rng);
  EXPECT_EQ(b.params, (std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  const int64_t B = 2;
  const auto x = test::random_doubles(16, 5), dy = test::random_doubles(16, 6);
  std::vector<double> y(16), dx(16, std::nan("")), dx2(16, 7.0);
  ln.forward(x.data(), y.data(), B);
  ln.backward(x.data(), y.data(), dy.data(), dx.data(), B);
  const auto once = b.grads;
  ln.backward(x.data(), y.data(), dy.data(), dx2.data(), B);
  EXPECT_EQ(dx, dx2);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(b.grads[i], 2 * once[i], 1e-14 * std::abs(once[i]) + 1e-300);
  ln.backward(x.data(), y.data(), dy.data(), nullptr, B);  // no dx wanted
  EXPECT_EQ(LayerNorm<double>({4, 8}, 1e-5, false).describe(), "layernorm (4, 8) (no affine)");
}

TEST(LayerNorm, SameBitsOnOneAndFourThreads) {
  const Shape in{8, 16, 16};
  const int64_t B = 5;
  const auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 7), dy = test::random_doubles(x.size(), 8);
  const std::vector<float> xf(x.begin(), x.end()), dyf(dy.begin(), dy.end());
  auto make = [&] { return std::make_unique<LayerNorm<float>>(in, 1e-5, true); };
  EXPECT_TRUE(
      test::bitwise_equal(test::pass_bits<float>(make, xf, dyf, B, 1), test::pass_bits<float>(make, xf, dyf, B, 4)));
}

}  // namespace
}  // namespace dpt
