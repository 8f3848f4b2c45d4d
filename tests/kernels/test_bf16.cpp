// float32 <-> bfloat16 (kernels/bf16.hpp, core/bf16.hpp): round to nearest with ties to even
// against values worked out by hand, NaN stays NaN, infinities and overflow, the exact way back,
// and the threaded kernels equal their plain twins.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/bf16.hpp"
#include "kernels/bf16.hpp"

namespace dpt {
namespace {

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(Bf16, RoundsToNearestTiesToEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xc000);
  EXPECT_EQ(float_to_bf16(from_bits(0x3f808000u)), 0x3f80);  // halfway, even below: down
  EXPECT_EQ(float_to_bf16(from_bits(0x3f818000u)), 0x3f82);  // halfway, odd below: up to even
  EXPECT_EQ(float_to_bf16(from_bits(0x3f808001u)), 0x3f81);  // just above halfway: up
  EXPECT_EQ(float_to_bf16(from_bits(0x3f807fffu)), 0x3f80);  // just below halfway: down
  EXPECT_EQ(bf16_to_float(float_to_bf16(0.1f)), from_bits(0x3dcd0000u));  // 0.1 = 0x3dcccccd -> 0x3dcd
}

TEST(Bf16, SpecialValues) {
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up past the largest bf16
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(from_bits(0x7f800001u)))));  // a NaN that truncates to inf
  EXPECT_EQ(float_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_bf16(from_bits(0x00010000u)), 0x0001);  // subnormals keep their top bits
}

TEST(Bf16, RelativeErrorIsAtMostHalfAnUlp) {
  for (float x = -1000.0f; x < 1000.0f; x += 0.37f) {
    if (x == 0) continue;
    EXPECT_LE(std::abs(bf16_to_float(float_to_bf16(x)) - x), std::abs(x) * 0x1p-8f) << x;
  }
}

TEST(Bf16, KernelsEqualTheirTwinsAndTheWayBackIsExact) {
  const int64_t n = 100003;  // several blocks and a tail
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = std::sin(0.001f * static_cast<float>(i)) * 1e3f;
  std::vector<uint16_t> a(x.size()), b(x.size());
  kern::to_bf16(x.data(), a.data(), n);
  kern::ref::to_bf16(x.data(), b.data(), n);
  EXPECT_EQ(a, b);
  std::vector<float> back(x.size()), again(x.size());
  kern::from_bf16(a.data(), back.data(), n);
  kern::to_bf16(back.data(), b.data(), n);
  EXPECT_EQ(a, b);  // a bf16 value converts to itself
  kern::ref::from_bf16(a.data(), again.data(), n);
  EXPECT_EQ(back, again);
}

}  // namespace
}  // namespace dpt
