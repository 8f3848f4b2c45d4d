#include "kernels/gemm.hpp"

#include <cblas.h>

namespace dpt::kern {

static CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }

template <>
void gemm<float>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
                 float beta, float* C) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // empty sum: C = beta * C (BLAS would reject the leading dimension 0)
    for (int64_t i = 0; i < M * N; ++i) C[i] = beta == 0 ? float(0) : beta * C[i];
    return;
  }
  cblas_sgemm(CblasRowMajor, tr(ta), tr(tb), static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A,
              static_cast<int>(ta ? M : K), B, static_cast<int>(tb ? K : N), beta, C, static_cast<int>(N));
}

template <>
void gemm<double>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, const double* B,
                  double beta, double* C) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // empty sum: C = beta * C (BLAS would reject the leading dimension 0)
    for (int64_t i = 0; i < M * N; ++i) C[i] = beta == 0 ? double(0) : beta * C[i];
    return;
  }
  cblas_dgemm(CblasRowMajor, tr(ta), tr(tb), static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A,
              static_cast<int>(ta ? M : K), B, static_cast<int>(tb ? K : N), beta, C, static_cast<int>(N));
}

namespace ref {
template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta, T* C) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        const T a = ta ? A[k * M + i] : A[i * K + k];
        const T b = tb ? B[j * K + k] : B[k * N + j];
        acc += static_cast<double>(a) * static_cast<double>(b);
      }
      const double c = beta == T(0) ? 0.0 : static_cast<double>(beta) * C[i * N + j];
      C[i * N + j] = static_cast<T>(static_cast<double>(alpha) * acc + c);
    }
}
template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, const float*, float, float*);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, const double*, double,
                           double*);
}  // namespace ref

}  // namespace dpt::kern
