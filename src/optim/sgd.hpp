// SGD with momentum (PyTorch semantics, dampening 0): one state slot, the momentum buffer, laid
// out like the parameters (kept, all zero, when momentum is 0).
#pragma once
#include "optim/optimizer.hpp"

namespace dpt {

class Sgd : public Optimizer {
 public:
  // Not validated here: make_optimizer() validates settings before constructing.
  Sgd(int64_t n, float momentum, float weight_decay, bool nesterov, ParamShard shard = {});
  std::string name() const override { return "sgd"; }
  std::vector<std::string> slot_names() const override { return {"momentum_buffer"}; }

 private:
  void update(int64_t offset, int64_t n, float* p, const float* dp, float lr, int64_t t) override;
  float momentum_, weight_decay_;
  bool nesterov_;
};

}  // namespace dpt
