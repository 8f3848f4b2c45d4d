// Adam and AdamW (torch.optim semantics, amsgrad off): two state slots, exp_avg (m) and
// exp_avg_sq (v); the bias corrections use the step count steps(), which checkpoints save.
#pragma once
#include "optim/optimizer.hpp"

namespace dpt {

struct AdamHyper {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};

// Adam: weight decay is an L2 term added to the gradient (torch.optim.Adam).
class Adam : public Optimizer {
 public:
  // Not validated here: make_optimizer() validates settings before constructing.
  Adam(int64_t n, const AdamHyper& h, ParamShard shard = {}) : Adam(n, h, false, shard) {}
  std::string name() const override { return decoupled_ ? "adamw" : "adam"; }
  std::vector<std::string> slot_names() const override { return {"exp_avg", "exp_avg_sq"}; }
  const AdamHyper& hyper() const { return h_; }

 protected:
  Adam(int64_t n, const AdamHyper& h, bool decoupled, ParamShard shard)
      : Optimizer(n, 2, shard), h_(h), decoupled_(decoupled) {}

 private:
  void update(int64_t offset, int64_t n, float* p, const float* dp, float lr, int64_t t) override;
  AdamHyper h_;
  bool decoupled_;
};

// AdamW: decoupled weight decay, p *= 1 - lr * weight_decay before the Adam step (torch.optim.AdamW).
class AdamW : public Adam {
 public:
  AdamW(int64_t n, const AdamHyper& h, ParamShard shard = {}) : Adam(n, h, true, shard) {}
};

}  // namespace dpt
