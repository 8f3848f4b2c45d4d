// Dense matrix products, row-major: C = alpha * op(A) * op(B) + beta * C.
//   op(A): (M, K)  (A is stored (K, M) when trans_a)
//   op(B): (K, N)  (B is stored (N, K) when trans_b)
//   C:     (M, N)
// gemm() calls cblas_sgemm / cblas_dgemm; gemm_ref() is the plain triple loop the tests compare with.
#pragma once
#include <cstdint>

namespace dpt::kern {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta, T* C);

namespace ref {
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta, T* C);
}  // namespace ref

}  // namespace dpt::kern
