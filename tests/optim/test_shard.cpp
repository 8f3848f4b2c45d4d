// optimizer.shard: an optimizer that owns the parameters [begin, end) gives them exactly the
// update the whole optimizer gives them (frozen tensors included), leaves the rest untouched, and
// keeps only their state, slot after slot.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "optim/optimizer.hpp"

namespace dpt {
namespace {

// Four tensors of 7, 5, 9 and 6 values (layer 2 frozen); params and grads non-zero.
ParamStore make_store() {
  ParamStore s;
  s.add("a", 0, {7}), s.add("b", 1, {5}), s.add("c", 2, {9}), s.add("d", 3, {6});
  s.finalize();
  s.freeze_layer(2);
  for (int64_t i = 0; i < s.size(); ++i) s.params()[i] = 0.5f + 0.1f * i, s.grads()[i] = 0.3f - 0.05f * i;
  return s;
}

OptimizerSettings settings(const char* name) {
  OptimizerSettings o;
  o.name = name, o.weight_decay = 0.01, o.nesterov = std::string(name) == "sgd";
  return o;
}

TEST(Shard, EachRangeGetsTheWholeOptimizersUpdateBitForBit) {
  for (const char* name : {"sgd", "adam", "adamw"}) {
    ParamStore whole = make_store();
    auto full = make_optimizer(settings(name), whole.size());
    const int64_t n = whole.size();
    // Three shards cutting through tensors (and through the frozen one), one of them empty.
    const std::vector<ParamShard> shards = {{0, 10, true}, {10, 10, true}, {10, 16, true}, {16, n, true}};
    std::vector<ParamStore> stores;
    std::vector<std::unique_ptr<Optimizer>> opts;
    for (const ParamShard& sh : shards)
      stores.push_back(make_store()), opts.push_back(make_optimizer(settings(name), n, sh));
    for (int step = 0; step < 3; ++step) {
      full->step(whole, 0.1f);
      for (size_t k = 0; k < shards.size(); ++k) opts[k]->step(stores[k], 0.1f);
    }
    for (size_t k = 0; k < shards.size(); ++k) {
      const ParamShard sh = shards[k];
      EXPECT_TRUE(opts[k]->sharded());
      EXPECT_EQ(opts[k]->state_size(), opts[k]->slots() * sh.size()) << name;
      EXPECT_EQ(opts[k]->steps(), 3);
      for (int64_t i = 0; i < n; ++i) {
        const float want = i >= sh.begin && i < sh.end ? whole.params()[i] : make_store().params()[i];
        EXPECT_EQ(std::memcmp(&stores[k].params()[i], &want, 4), 0) << name << " shard " << k << " param " << i;
      }
      for (int s = 0; s < opts[k]->slots(); ++s)
        for (int64_t i = sh.begin; i < sh.end; ++i)
          EXPECT_EQ(opts[k]->slot(s)[static_cast<size_t>(i - sh.begin)], full->slot(s)[static_cast<size_t>(i)])
              << name << " slot " << s << " param " << i;
    }
  }
}

TEST(Shard, ARangeOutsideTheParametersIsRefused) {
  EXPECT_THROW(make_optimizer(settings("sgd"), 10, {5, 11, true}), Error);
  EXPECT_THROW(make_optimizer(settings("sgd"), 10, {6, 5, true}), Error);
  EXPECT_FALSE(make_optimizer(settings("sgd"), 10)->sharded());
  EXPECT_EQ(make_optimizer(settings("adam"), 10)->state_size(), 20);
}

}  // namespace
}  // namespace dpt
