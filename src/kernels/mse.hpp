// Mean squared error on (B, C) predictions against float32 targets, fused with its gradient.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct MseResult {
  double loss_sum = 0;  // sum over the B rows of mean_j (pred - target)^2
  double abs_sum = 0;   // sum over the B rows of mean_j |pred - target|
};

// pred, target: (B, C). The per-sample loss is mean_j (pred_ij - target_ij)^2, so loss_sum / B is
// torch.nn.MSELoss(reduction='mean') of the batch. If dpred is not null it is overwritten with
// 2 (pred - target) / C * grad_scale (grad_scale = 1 / global batch, so summing over ranks gives
// the gradient of the global mean). Row sums are added in row order (independent of threads).
template <class T>
MseResult mse(const T* pred, const float* target, int64_t B, int64_t C, T grad_scale, T* dpred);

namespace ref {
template <class T>
MseResult mse(const T* pred, const float* target, int64_t B, int64_t C, T grad_scale, T* dpred);
}  // namespace ref

}  // namespace dpt::kern
