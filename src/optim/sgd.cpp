#include "optim/sgd.hpp"

namespace dpt {

Sgd::Sgd(int64_t n, float momentum, float weight_decay, bool nesterov)
    : momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov), velocity_(static_cast<size_t>(n), 0.0f) {}

void Sgd::step(ParamStore& store, float lr) {
  kern::sgd_update(store.params(), store.grads(), velocity_.data(), store.size(),
                   {lr, momentum_, weight_decay_, nesterov_});
}

}  // namespace dpt
