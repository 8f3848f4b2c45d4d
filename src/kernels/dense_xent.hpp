// Softmax cross-entropy over the channel axis of dense outputs (per pixel/voxel), fused with its
// gradient, and the per-position arg-max and softmax that evaluation and prediction use.
// Layout: z: (B, K, S) (a sample's output (K, ...) with its S positions flattened), labels (B, S).
#pragma once
#include <cstdint>

#include "kernels/softmax_xent.hpp"

namespace dpt::kern {

// Labels equal to `ignore` (when has_ignore) are skipped: no loss, no count, zero gradient. The
// other labels are in [0, K). Returns loss_sum = sum over samples of (sum over their scored
// positions of -log softmax(z[:, s])[label]) / S, correct = scored positions whose arg-max (first on
// ties) is the label, counted = scored positions. If dz is not null it is overwritten with
// (softmax - onehot) * grad_scale / S at scored positions, 0 at ignored ones. With grad_scale =
// 1 / global batch, the loss is sum / (global batch x S) and its gradient summed over ranks is
// that loss's gradient. Samples run in parallel; the sum is taken in sample order, positions in
// order within a sample, so the result does not depend on the thread count.
template <class T>
XentResult softmax_xent_dense(const T* z, const int32_t* labels, int64_t B, int64_t K, int64_t S, bool has_ignore,
                              int64_t ignore, T grad_scale, T* dz);

// arg: (B, S), the channel of the largest score at each position (first on ties); if p is not
// null it is overwritten with the softmax over the channels: (B, K, S).
template <class T>
void softmax_channels(const T* z, int64_t B, int64_t K, int64_t S, T* p, int32_t* arg);

namespace ref {
template <class T>
XentResult softmax_xent_dense(const T* z, const int32_t* labels, int64_t B, int64_t K, int64_t S, bool has_ignore,
                              int64_t ignore, T grad_scale, T* dz);
template <class T>
void softmax_channels(const T* z, int64_t B, int64_t K, int64_t S, T* p, int32_t* arg);
}  // namespace ref

}  // namespace dpt::kern
