// `trainable: false`: the optimizer skips frozen tensors of the flat buffer. Neither the update,
// weight decay nor momentum (or Adam's moments, AdamW's decoupled decay) moves them, their state
// stays zero, and the trainable tensors get exactly the update they get without the frozen ones.
#include <gtest/gtest.h>

#include <vector>

#include "optim/optimizer.hpp"

namespace dpt {
namespace {

// Three tensors (layers 0, 1, 2) of 5, 3 and 4 values; params and grads non-zero.
ParamStore make_store() {
  ParamStore s;
  s.add("layers.0.weight", 0, {5}), s.add("layers.1.weight", 1, {3}), s.add("layers.2.weight", 2, {4});
  s.finalize();
  for (int64_t i = 0; i < s.size(); ++i) s.params()[i] = 0.5f + 0.1f * i, s.grads()[i] = 0.3f - 0.05f * i;
  return s;
}

TEST(Frozen, RangesCoverTheFrozenAndTrainableTensors) {
  ParamStore s = make_store();
  EXPECT_FALSE(s.has_frozen());
  s.freeze_layer(1);
  ASSERT_TRUE(s.has_frozen());
  ASSERT_EQ(s.trainable_ranges().size(), 2u);
  EXPECT_EQ(s.trainable_ranges()[0].offset, 0);
  EXPECT_EQ(s.trainable_ranges()[0].count, 5);
  EXPECT_EQ(s.trainable_ranges()[1].offset, 8);
  EXPECT_EQ(s.trainable_ranges()[1].count, 4);
  ASSERT_EQ(s.frozen_ranges().size(), 1u);
  EXPECT_EQ(s.frozen_ranges()[0].offset, 5);
  EXPECT_EQ(s.frozen_ranges()[0].count, 3);
  s.zero_frozen_grads();
  for (int64_t i = 0; i < s.size(); ++i) EXPECT_EQ(s.grads()[i] == 0.0f, i >= 5 && i < 8) << i;
}

TEST(Frozen, NoOptimizerMovesAFrozenTensor) {
  for (const char* name : {"sgd", "adam", "adamw"}) {
    OptimizerSettings o;
    o.name = name, o.momentum = 0.9, o.weight_decay = 0.1, o.nesterov = std::string(name) == "sgd";
    ParamStore all = make_store(), part = make_store();
    part.freeze_layer(1);
    const std::vector<float> before(part.params(), part.params() + part.size());
    auto opt_all = make_optimizer(o, all.size()), opt_part = make_optimizer(o, part.size());
    for (int step = 0; step < 3; ++step) opt_all->step(all, 0.1f), opt_part->step(part, 0.1f);
    for (int64_t i = 0; i < part.size(); ++i) {
      if (i >= 5 && i < 8) {
        EXPECT_EQ(part.params()[i], before[i]) << name << " moved frozen value " << i;
        for (int k = 0; k < opt_part->slots(); ++k) EXPECT_EQ(opt_part->slot(k)[i], 0.0f) << name;
      } else {
        EXPECT_EQ(part.params()[i], all.params()[i]) << name << " value " << i;
        EXPECT_NE(part.params()[i], before[i]) << name << " value " << i;
      }
    }
  }
}

}  // namespace
}  // namespace dpt
