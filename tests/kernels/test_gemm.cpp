// gemm (OpenBLAS) vs ref::gemm (double-accumulating triple loop): all four transpose combinations,
// awkward shapes, alpha / beta, float and double. The tolerance is the standard forward error bound
// of a length-K dot product, |C - C_ref| <= (K + 2) * eps * (|alpha| sum_k |a_ik b_kj| + |beta c_ij|).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.hpp"
#include "kernels/gemm.hpp"

namespace dpt {
namespace {

using test::random_vector;

struct GemmShape {
  int64_t M, N, K;
};

const GemmShape kShapes[] = {{1, 1, 1}, {7, 13, 5}, {1, 9, 4}, {5, 1, 17}, {3, 4, 1}, {64, 512, 784}};

template <class T>
class Gemm : public ::testing::Test {
 protected:
  // C = alpha op(A) op(B) + beta C with the optimized and the reference kernel, then compare.
  void check(bool ta, bool tb, GemmShape s, T alpha, T beta) {
    SCOPED_TRACE(::testing::Message() << "trans_a=" << ta << " trans_b=" << tb << " M=" << s.M << " N=" << s.N
                                      << " K=" << s.K << " alpha=" << alpha << " beta=" << beta);
    const auto A = random_vector<T>(static_cast<size_t>(s.M * s.K), 1);   // (M, K) or (K, M)
    const auto B = random_vector<T>(static_cast<size_t>(s.K * s.N), 2);   // (K, N) or (N, K)
    const auto C0 = random_vector<T>(static_cast<size_t>(s.M * s.N), 3);  // (M, N)
    std::vector<T> C = C0, C_ref = C0;
    if (beta == T(0)) {
      // beta == 0 must ignore C entirely, even NaN (layers write into uninitialised buffers).
      std::fill(C.begin(), C.end(), std::numeric_limits<T>::quiet_NaN());
    }
    kern::gemm<T>(ta, tb, s.M, s.N, s.K, alpha, A.data(), B.data(), beta, C.data());
    kern::ref::gemm<T>(ta, tb, s.M, s.N, s.K, alpha, A.data(), B.data(), beta, C_ref.data());

    const double eps = std::numeric_limits<T>::epsilon();
    int bad = 0;
    for (int64_t i = 0; i < s.M; ++i)
      for (int64_t j = 0; j < s.N; ++j) {
        double mag = 0;  // sum_k |a_ik b_kj|
        for (int64_t k = 0; k < s.K; ++k) {
          const double a = ta ? A[k * s.M + i] : A[i * s.K + k];
          const double b = tb ? B[j * s.K + k] : B[k * s.N + j];
          mag += std::abs(a * b);
        }
        const double c_in = beta == T(0) ? 0.0 : std::abs(static_cast<double>(beta) * C0[i * s.N + j]);
        const double tol = static_cast<double>(s.K + 2) * eps * (std::abs(alpha) * mag + c_in);
        const double got = C[i * s.N + j], want = C_ref[i * s.N + j];
        if (!(std::abs(got - want) <= tol) && ++bad <= 5)
          ADD_FAILURE() << "C[" << i << "," << j << "] = " << got << ", ref " << want << ", tol " << tol;
      }
    EXPECT_EQ(bad, 0);
  }
};

using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Gemm, FloatTypes);

TYPED_TEST(Gemm, MatchesReferenceForAllTransposesAndShapes) {
  for (const GemmShape& s : kShapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (TypeParam beta : {TypeParam(0), TypeParam(1)}) this->check(ta, tb, s, TypeParam(1), beta);
}

TYPED_TEST(Gemm, AlphaAndFractionalBeta) {
  this->check(false, true, {7, 13, 5}, TypeParam(0.5), TypeParam(-0.25));
  this->check(true, false, {13, 7, 9}, TypeParam(-2), TypeParam(1));
}

TYPED_TEST(Gemm, HandComputedProduct) {
  // A: (2, 3), B: (3, 2) -> C = A B: (2, 2)
  const TypeParam A[] = {1, 2, 3, 4, 5, 6};
  const TypeParam B[] = {7, 8, 9, 10, 11, 12};
  TypeParam C[] = {1, 1, 1, 1};
  kern::gemm<TypeParam>(false, false, 2, 2, 3, TypeParam(1), A, B, TypeParam(1), C);
  EXPECT_EQ(C[0], 1 + 58);
  EXPECT_EQ(C[1], 1 + 64);
  EXPECT_EQ(C[2], 1 + 139);
  EXPECT_EQ(C[3], 1 + 154);
  // A^T with A stored (3, 2): the same numbers read as (2, 3)^T.
  const TypeParam At[] = {1, 4, 2, 5, 3, 6};
  TypeParam D[4];
  kern::gemm<TypeParam>(true, false, 2, 2, 3, TypeParam(1), At, B, TypeParam(0), D);
  EXPECT_EQ(D[0], 58);
  EXPECT_EQ(D[3], 154);
}

TYPED_TEST(Gemm, EmptyOutputIsANoOp) {
  TypeParam C[] = {42};
  const TypeParam A[] = {1}, B[] = {1};
  kern::gemm<TypeParam>(false, false, 0, 1, 1, TypeParam(1), A, B, TypeParam(0), C);
  kern::gemm<TypeParam>(false, false, 1, 0, 1, TypeParam(1), A, B, TypeParam(0), C);
  EXPECT_EQ(C[0], 42);
}

}  // namespace
}  // namespace dpt
