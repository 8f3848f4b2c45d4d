// bfloat16: the upper 16 bits of an IEEE float32 (8 exponent bits, 7 mantissa bits): the float's
// range at 3 significant digits. Conversion rounds to nearest, ties to even; NaN stays NaN (quiet).
// Scalars here, shared by the vector kernels (kernels/bf16.hpp) and the MPI sum of compressed
// gradients (comm/async_sum.cpp).
#pragma once
#include <cstdint>
#include <cstring>

namespace dpt {

inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // NaN: keep it quiet
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even (overflow rounds to infinity)
  return static_cast<uint16_t>(u >> 16);
}

inline float bf16_to_float(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace dpt
