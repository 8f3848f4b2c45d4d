// Layer normalization over each sample's N features: x, y: (B, N), per sample b
// y = (x - mean_b) * invstd_b * gamma + beta, invstd_b = 1 / sqrt(var_b + eps) (biased variance,
// PyTorch's nn.LayerNorm). Statistics and reductions in double, each in a fixed order (one task per
// sample; parameter gradients one task per feature, summing samples in order), so results do not
// depend on the thread count. ref:: twins run serially.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct LnShape {
  int64_t B, N;
};

// mean, invstd: (B), written. gamma, beta: (N) or null (no affine: 1 and 0).
template <class T>
void layernorm_forward(const LnShape& s, const T* x, const T* gamma, const T* beta, double eps, T* y, double* mean,
                       double* invstd);
// dx (B, N) overwritten (when not null): invstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma;
// dgamma += sum_b dy * xhat, dbeta += sum_b dy (when not null)
template <class T>
void layernorm_backward(const LnShape& s, const T* x, const T* dy, const T* gamma, const double* mean,
                        const double* invstd, T* dx, T* dgamma, T* dbeta);

namespace ref {
template <class T>
void layernorm_forward(const LnShape& s, const T* x, const T* gamma, const T* beta, double eps, T* y, double* mean,
                       double* invstd);
template <class T>
void layernorm_backward(const LnShape& s, const T* x, const T* dy, const T* gamma, const double* mean,
                        const double* invstd, T* dx, T* dgamma, T* dbeta);
}  // namespace ref

}  // namespace dpt::kern
