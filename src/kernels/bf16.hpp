// float32 <-> bfloat16 over arrays (core/bf16.hpp: the rounding), for compressed gradient sums
// (comm.compress: bf16). Split across threads in fixed blocks; elementwise, so the result never
// depends on the thread count. ref:: twins are plain loops.
#pragma once
#include <cstdint>

namespace dpt::kern {

void to_bf16(const float* x, uint16_t* y, int64_t n);    // y: (n) <- x rounded to nearest even
void from_bf16(const uint16_t* x, float* y, int64_t n);  // y: (n) <- x exactly

namespace ref {
void to_bf16(const float* x, uint16_t* y, int64_t n);
void from_bf16(const uint16_t* x, float* y, int64_t n);
}  // namespace ref

}  // namespace dpt::kern
