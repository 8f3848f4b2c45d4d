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

namespace ref {
void sgd_update(float* p, const float* dp, float* v, int64_t n, const SgdArgs& a);
}  // namespace ref

}  // namespace dpt::kern
