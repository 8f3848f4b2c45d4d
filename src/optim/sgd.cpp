#include "optim/sgd.hpp"

#include "kernels/update.hpp"

namespace dpt {

Sgd::Sgd(int64_t n, float momentum, float weight_decay, bool nesterov, ParamShard shard)
    : Optimizer(n, 1, shard), momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov) {}

void Sgd::update(int64_t offset, int64_t n, float* p, const float* dp, float lr, int64_t) {
  kern::sgd_update(p, dp, slot_at(0, offset), n, {lr, momentum_, weight_decay_, nesterov_});
}

}  // namespace dpt
