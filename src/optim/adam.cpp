#include "optim/adam.hpp"

#include "kernels/update.hpp"

namespace dpt {

void Adam::update(float* p, const float* dp, float lr, int64_t t) {
  const kern::AdamArgs a{lr, h_.beta1, h_.beta2, h_.eps, h_.weight_decay, t};
  if (decoupled_)
    kern::adamw_update(p, dp, slot_data(0), slot_data(1), n_params(), a);
  else
    kern::adam_update(p, dp, slot_data(0), slot_data(1), n_params(), a);
}

}  // namespace dpt
