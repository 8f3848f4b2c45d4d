// Exact, order-independent sums of float arrays (train.deterministic). Each block of kFixedBlock
// elements gets a power-of-two scale 2^e chosen from the largest magnitude in that block over
// every addend; each addend is scaled and rounded to int32, the integers are summed (integer
// addition is associative: any grouping, any number of ranks gives the same bits) and scaled
// back. With `terms` addends, |x| * 2^e <= 2^(30 - ceil(log2 terms)), so no sum can overflow;
// an element keeps the bits above 2^-(30 - ceil(log2 terms)) of its block's largest magnitude
// (more than float's 24 bits for the large elements, fewer for those far below the largest).
// Every function gives the same bits for any thread count.
#pragma once
#include <cstdint>

namespace dpt::kern {

constexpr int64_t kFixedBlock = 256;
inline int64_t fixed_blocks(int64_t n) { return (n + kFixedBlock - 1) / kFixedBlock; }

// bmax: (fixed_blocks(n)) <- max(bmax[b], max |x[i]| over block b); +inf when the block holds a
// NaN or an infinity.
void block_max_abs(const float* x, int64_t n, float* bmax);
// copy: (n) <- x, and bmax as block_max_abs (one pass instead of two: the micro-shards a rank keeps).
void copy_block_max_abs(const float* x, int64_t n, float* copy, float* bmax);
// e: (blocks) <- per block, the exponent for `terms` addends bounded by bmax (0 for an empty block).
void fixed_exponents(const float* bmax, int64_t blocks, int64_t terms, int32_t* e);
// q: (n) <- round(x * 2^e[block])  (accumulate: q += ...)
void to_fixed(const float* x, int64_t n, const int32_t* e, int32_t* q, bool accumulate);
// y: (n) <- q * 2^-e[block]
void from_fixed(const int32_t* q, int64_t n, const int32_t* e, float* y);

namespace ref {
void block_max_abs(const float* x, int64_t n, float* bmax);
void copy_block_max_abs(const float* x, int64_t n, float* copy, float* bmax);
void to_fixed(const float* x, int64_t n, const int32_t* e, int32_t* q, bool accumulate);
void from_fixed(const int32_t* q, int64_t n, const int32_t* e, float* y);
}  // namespace ref

}  // namespace dpt::kern
