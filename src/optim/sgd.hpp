// SGD with momentum (PyTorch semantics), state in one flat buffer laid out like the parameters.
#pragma once
#include "model/param_store.hpp"
#include "kernels/update.hpp"

namespace dpt {

class Sgd {
 public:
  Sgd(int64_t n, float momentum, float weight_decay, bool nesterov);
  // Applies one update with learning rate lr: params -= lr * direction(grads).
  void step(ParamStore& store, float lr);
  Buffer<float>& state() { return velocity_; }  // (n): the momentum buffer

 private:
  float momentum_, weight_decay_;
  bool nesterov_;
  Buffer<float> velocity_;
};

}  // namespace dpt
