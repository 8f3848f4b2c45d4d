// Helpers of the low-rank gradient compression (train/powersgd): orthonormal columns and Gaussian
// initial factors. Plain loops in double, the same bits on every rank and thread count (the ranks
// run them on identical inputs and must get identical outputs).
#pragma once
#include <cstdint>

namespace dpt::kern {

// P: (n, r) row-major. Modified Gram-Schmidt: column j minus its projections on columns 0..j-1,
// then scaled to norm 1; a column left with less than 1e-4 of its norm (it lies in the span of the
// ones before: a rank-deficient P) becomes 0, never a normalized rounding error or NaN; a
// non-finite P stays non-finite so that the step's norm check sees it.
// scratch: n doubles (the caller's, so that a step allocates nothing).
void orthonormalize_columns(float* P, int64_t n, int64_t r, double* scratch);

// a[0, n): standard normal values from `seed` (Box-Muller over dpt::Rng), the same on every rank.
void fill_normal(float* a, int64_t n, uint64_t seed);

}  // namespace dpt::kern
