// Softmax cross-entropy on logits, fused with its gradient.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct XentResult {
  double loss_sum = 0;  // sum over the B rows of -log softmax(z)[label]
  int64_t correct = 0;  // rows whose arg-max equals the label
  int64_t counted = 0;  // rows (positions) scored: B here; dense_xent.hpp: those not ignored
};

// z: (B, C) logits, labels: (B) in [0, C). If dz is not null: dz = (softmax(z) - onehot) * grad_scale
// (overwritten). grad_scale is 1 / global batch, so summing dz over ranks gives the mean gradient.
// Row losses are summed in row order, so the result does not depend on the thread count.
template <class T>
XentResult softmax_xent(const T* z, const int32_t* labels, int64_t B, int64_t C, T grad_scale, T* dz);

namespace ref {
template <class T>
XentResult softmax_xent(const T* z, const int32_t* labels, int64_t B, int64_t C, T grad_scale, T* dz);
}  // namespace ref

}  // namespace dpt::kern
