// Upsample<double> and PadCrop<double> (pad, crop) over signals (C, L), images (C, H, W) and
// volumes (C, D, H, W): forward against index arithmetic written here, input gradients against
// central finite differences, crop undoing pad, and the same bits on 1 and 4 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "grad_check.hpp"
#include "layers/resample.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

const Shape kShapes[] = {{2, 7}, {2, 3, 5}, {2, 3, 4, 2}};

// Flat index of (p, spatial...) in a batch of shape-`s` samples, spatial indices as (d, h, w).
int64_t at(const Shape& s, int64_t p, int64_t d, int64_t h, int64_t w) {
  const int64_t D = s.size() == 4 ? s[1] : 1, H = s.size() >= 3 ? s[s.size() - 2] : 1, W = s.back();
  return ((p * D + d) * H + h) * W + w;
}
int64_t dim(const Shape& s, int axis) {  // axis 0, 1, 2: D, H, W (1 when absent)
  const int64_t n = static_cast<int64_t>(s.size()) - 1;
  return axis < 3 - n ? 1 : s[static_cast<size_t>(axis - (3 - n) + 1)];
}

TEST(Upsample, CopiesEachElementAndGradientsMatchFiniteDifferences) {
  for (const Shape& in : kShapes)
    for (const int64_t k : {2, 3}) {
      SCOPED_TRACE(::testing::Message() << shape_str(in) << " x" << k);
      Upsample<double> up(in, k);
      const Shape out = up.out_shape();
      const bool a0 = in.size() == 4, a1 = in.size() >= 3;
      const int64_t B = 2;
      auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 1);
      std::vector<double> y(static_cast<size_t>(B * numel(out)));
      up.forward(x.data(), y.data(), B);
      for (int64_t p = 0; p < B * in[0]; ++p)
        for (int64_t d = 0; d < dim(out, 0); ++d)
          for (int64_t h = 0; h < dim(out, 1); ++h)
            for (int64_t w = 0; w < dim(out, 2); ++w)
              ASSERT_EQ(y[static_cast<size_t>(at(out, p, d, h, w))],
                        x[static_cast<size_t>(at(in, p, a0 ? d / k : d, a1 ? h / k : h, w / k))]);
      test::Bound<double> none;
      test::check_layer_gradients(up, none, x, B, 2);
    }
  EXPECT_EQ(Upsample<double>({4, 8, 8, 8}, 2).describe(), "upsample x2 (4, 8, 8, 8) -> (4, 16, 16, 16)");
}

TEST(PadCrop, PadsWithZerosCropsTheCenterAndGradientsMatchFiniteDifferences) {
  using Kind = PadCrop<double>::Kind;
  for (const Shape& in : kShapes) {
    SCOPED_TRACE(shape_str(in));
    const int64_t B = 3, by = 1;
    PadCrop<double> pad(in, Kind::Pad, by);
    const Shape out = pad.out_shape();
    auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 3);
    std::vector<double> y(static_cast<size_t>(B * numel(out)));
    pad.forward(x.data(), y.data(), B);
    const int64_t n = static_cast<int64_t>(in.size()) - 1;
    for (int64_t p = 0; p < B * in[0]; ++p)
      for (int64_t d = 0; d < dim(out, 0); ++d)
        for (int64_t h = 0; h < dim(out, 1); ++h)
          for (int64_t w = 0; w < dim(out, 2); ++w) {
            const int64_t sd = n == 3 ? d - by : d, sh = n >= 2 ? h - by : h, sw = w - by;
            const bool inside = sd >= 0 && sd < dim(in, 0) && sh >= 0 && sh < dim(in, 1) && sw >= 0 && sw < dim(in, 2);
            ASSERT_EQ(y[static_cast<size_t>(at(out, p, d, h, w))],
                      inside ? x[static_cast<size_t>(at(in, p, sd, sh, sw))] : 0.0);
          }
    PadCrop<double> crop(out, Kind::Crop, by);  // crop undoes pad
    ASSERT_EQ(crop.out_shape(), in);
    std::vector<double> back(x.size());
    crop.forward(y.data(), back.data(), B);
    EXPECT_EQ(back, x);
    test::Bound<double> none;
    test::check_layer_gradients(pad, none, x, B, 4);
    auto big = test::random_doubles(static_cast<size_t>(B * numel(out)), 5);
    test::check_layer_gradients(crop, none, big, B, 6);
  }
  EXPECT_EQ(PadCrop<double>({2, 9, 9}, Kind::Crop, 2).describe(), "crop 2 (2, 9, 9) -> (2, 5, 5)");
}

TEST(ResampleLayers, SameBitsOnOneAndFourThreads) {
  const Shape in{4, 8, 8, 8};
  const int64_t B = 3;
  const auto x = test::random_doubles(static_cast<size_t>(B * numel(in)), 7);
  const std::vector<float> xf(x.begin(), x.end());
  std::vector<std::function<std::unique_ptr<Layer<float>>()>> makers = {
      [&] { return std::make_unique<Upsample<float>>(in, 2); },
      [&] { return std::make_unique<PadCrop<float>>(in, PadCrop<float>::Kind::Pad, 2); },
      [&] { return std::make_unique<PadCrop<float>>(in, PadCrop<float>::Kind::Crop, 2); }};
  for (const auto& make : makers) {
    const auto dy = test::random_doubles(static_cast<size_t>(B * numel(make()->out_shape())), 8);
    const std::vector<float> dyf(dy.begin(), dy.end());
    EXPECT_TRUE(
        test::bitwise_equal(test::pass_bits<float>(make, xf, dyf, B, 1), test::pass_bits<float>(make, xf, dyf, B, 4)));
  }
}

}  // namespace
}  // namespace dpt
