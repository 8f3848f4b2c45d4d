// Optimizer update kernels over flat buffers (parameters, gradients, state), TBB-parallel, each
// with a reference twin. Elementwise, so results do not depend on the thread count.
#pragma once
#include <cstdint>

namespace dpt::kern {

struct SgdArgs {
  float lr, momentum, weight_decay;
  bool nesterov;
};

// PyTorch semantics: g = dp + wd * p; v = momentum * v + g; p -= lr * (nesterov ? g + momentum * v : v)
// (with momentum == 0: p -= lr * g and v is untouched).
void sgd_update(float* p, const float* dp, float* v, int64_t n, const SgdArgs& a);

// Adam / AdamW hyperparameters in double, as PyTorch holds them (Python floats): the per-element
// factors are rounded to float once (beta, 1 - beta, ...) and the bias corrections are computed in
// double, which is what torch.optim does for float32 parameters.
struct AdamArgs {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;  // 1-based number of this update (PyTorch's state['step'] after its increment)
};

// torch.optim.Adam (amsgrad off, maximize off), t = a.step:
//   g = dp + wd * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr * mhat / (sqrt(vhat) + eps)   with mhat = m / (1 - b1^t), vhat = v / (1 - b2^t),
// evaluated in PyTorch's order: p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// Throws dpt::Error when a.step < 1.
void adam_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a);
// torch.optim.AdamW: p *= 1 - lr * wd first (decoupled weight decay), then Adam with g = dp.
void adamw_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a);

namespace ref {
void sgd_update(float* p, const float* dp, float* v, int64_t n, const SgdArgs& a);
void adam_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a);
void adamw_update(float* p, const float* dp, float* m, float* v, int64_t n, const AdamArgs& a);
}  // namespace ref

}  // namespace dpt::kern
