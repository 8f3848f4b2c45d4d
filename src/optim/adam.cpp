#include "optim/adam.hpp"

#include "kernels/update.hpp"

namespace dpt {

void Adam::update(int64_t offset, int64_t n, float* p, const float* dp, float lr, int64_t t) {
  const kern::AdamArgs a{lr, h_.beta1, h_.beta2, h_.eps, h_.weight_decay, t};
  if (decoupled_)
    kern::adamw_update(p, dp, slot_at(0, offset), slot_at(1, offset), n, a);
  else
    kern::adam_update(p, dp, slot_at(0, offset), slot_at(1, offset), n, a);
}

}  // namespace dpt
