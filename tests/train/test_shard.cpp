// optimizer.shard (ZeRO stage 1): each rank updates and keeps the state of 1/P of the parameters.
// The weights are the unsharded ones bit for bit with train.deterministic on every rank count and
// on 2 ranks without it, within float rounding otherwise; checkpoints are the same file either way
// and resume on another rank count, sharded or not.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "checkpoint/checkpoint_dir.hpp"
#include "core/error.hpp"
#include "support/test_util.hpp"
#include "support/train_test_util.hpp"
#include "train/trainer.hpp"

using namespace dpt;
using dpt::test::make_config;
using dpt::test::synth_file;

namespace {

class ShardTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }
};

// 15 inputs -> 1400 -> 4 with batchnorm: 30,804 parameters, 8 blocks of 4096 to share out (the
// ranks get 1-4 blocks; some cut through a layer's weights), Adam's two state slots, clipping.
const char* kModel = R"(
model:
  layers: [{type: dense, units: 1400}, {type: batchnorm}, {type: relu}, {type: dropout, p: 0.1}, {type: dense, units: 4}]
optimizer: {name: adamw, lr: 0.003, weight_decay: 0.01}
train: {batch_size: 48, epochs: 6, clip_grad_norm: 0.5}
)";

Config with(const std::string& file, const std::string& yaml) {
  Config cfg = make_config(file, kModel);
  cfg.load_yaml(YAML::Load(yaml), "test-override");
  return cfg;
}

const char* kDet = "train: {deterministic: true, micro_shards: 12}";
const char* kShard = "optimizer: {shard: true}";

// The groups of ranks the whole job splits into: all of them, 1 rank each, and on 4 ranks 2 + 2
// and 1 + 3.
std::vector<int> colors(const Comm& world) {
  std::vector<int> c = {0, world.rank()};
  if (world.size() == 4) c.push_back(world.rank() / 2), c.push_back(world.rank() == 0);
  return c;
}

TEST_F(ShardTest, DeterministicShardedIsTheUnshardedRunBitForBitOnEveryRankCount) {
  const Comm world;
  const std::string file = synth_file(world, "shard_det", 250);
  const TrainOutcome plain = train(with(file, kDet), world, {"", false, true});
  ASSERT_GE(plain.steps, 30);
  for (int color : colors(world)) {
    const Comm group = world.split(color);
    Config cfg = with(file, kDet);
    cfg.load_yaml(YAML::Load(kShard), "test-shard");
    const TrainOutcome sharded = train(cfg, group, {"", false, true});
    EXPECT_TRUE(test::bitwise_equal(sharded.params, plain.params)) << group.size() << " sharded ranks";
    EXPECT_TRUE(test::bitwise_equal(sharded.buffers, plain.buffers)) << group.size() << " sharded ranks";
  }
}

TEST_F(ShardTest, WithoutDeterminismShardedEqualsUnshardedOnTwoRanksAndIsCloseOnMore) {
  const Comm world;
  const std::string file = synth_file(world, "shard_plain", 250);
  for (const char* overlap : {"comm: {overlap: true}", "comm: {overlap: false}"}) {
    const TrainOutcome plain = train(with(file, overlap), world, {"", false, true});
    Config cfg = with(file, overlap);
    cfg.load_yaml(YAML::Load(kShard), "test-shard");
    const TrainOutcome sharded = train(cfg, world, {"", false, true});
    if (world.size() <= 2) {
      EXPECT_TRUE(test::bitwise_equal(sharded.params, plain.params)) << overlap;
      EXPECT_EQ(sharded.test.accuracy, plain.test.accuracy);
    } else {
      // MPI may sum a bucket's parts in another order than the whole bucket: the sums differ in
      // their last bits, which Adam turns into +-lr steps where a gradient is near zero. With SGD
      // (linear in the gradient) the weights after 3 steps agree to float rounding; a part
      // updated wrongly or not at all would be off by ~lr.
      Config few = with(file, std::string(overlap) + "\ntrain: {max_steps: 3}");
      few.load_yaml(YAML::Load("optimizer: {name: sgd, lr: 0.05, momentum: 0.9}"), "test-sgd");
      const TrainOutcome a = train(few, world, {"", false, true});
      few.load_yaml(YAML::Load(kShard), "test-shard");
      const TrainOutcome b = train(few, world, {"", false, true});
      EXPECT_LT(test::max_rel_diff(b.params, a.params), 1e-5) << overlap;
    }
  }
}

// Small buckets (several reduce-scatters per step, ranks' parts cut by bucket bounds) and a model
// of fewer than 4096 parameters (one block: one rank owns everything, the others nothing).
TEST_F(ShardTest, SmallBucketsAndRanksOwningNothingGiveTheUnshardedBits) {
  const Comm world;
  const std::string file = synth_file(world, "shard_small", 250);
  for (const char* extra : {"comm: {bucket_kb: 4}", "comm: {bucket_kb: 4}\nmodel: {layers: [{type: dense, units: 40}, "
                                                    "{type: relu}, {type: dense, units: 4}]}"}) {
    for (const char* det : {kDet, "train: {deterministic: false}"}) {
      if (world.size() > 2 && std::string(det) != kDet) continue;  // bitwise only at 1-2 ranks
      Config plain = with(file, extra);
      plain.load_yaml(YAML::Load(det), "test-det");
      Config sharded = plain;
      sharded.load_yaml(YAML::Load(kShard), "test-shard");
      const TrainOutcome a = train(plain, world, {"", false, true}), b = train(sharded, world, {"", false, true});
      EXPECT_TRUE(test::bitwise_equal(b.params, a.params)) << extra << " " << det;
    }
  }
}

// comm.compress: bf16 keeps its whole bfloat16 sum; only the update is sharded: the same bits.
TEST_F(ShardTest, WithBf16CompressionShardedEqualsUnshardedOnEveryRankCount) {
  const Comm world;
  const std::string file = synth_file(world, "shard_bf16", 250);
  const char* bf16 = "comm: {compress: bf16}\ntrain: {epochs: 2}";
  const TrainOutcome plain = train(with(file, bf16), world, {"", false, true});
  Config cfg = with(file, bf16);
  cfg.load_yaml(YAML::Load(kShard), "test-shard");
  const TrainOutcome sharded = train(cfg, world, {"", false, true});
  EXPECT_TRUE(test::bitwise_equal(sharded.params, plain.params)) << world.size() << " ranks";
}

// The whole job trains sharded to step 17 (a sharded checkpoint), then every group of ranks (all,
// 1 each, 2 + 2, 1 + 3) resumes from a copy of it, unsharded and sharded: all end with the
// uninterrupted run's weights (train.deterministic).
TEST_F(ShardTest, ShardedCheckpointsResumeOnAnotherRankCountShardedOrNot) {
  const Comm world;
  const std::string file = synth_file(world, "shard_resume", 250);
  const TrainOutcome full = train(with(file, kDet), world, {"", false, true});
  Config sharded_cfg = with(file, kDet);
  sharded_cfg.load_yaml(YAML::Load(kShard), "test-shard");
  Config sharded_part = sharded_cfg;
  sharded_part.load_yaml(YAML::Load("train: {max_steps: 17}"), "test-part");
  const std::string dir = test::temp_dir("shard_resume_run") + "/run";
  const TrainOutcome part = train(sharded_part, world, {dir, true, true});  // writes a sharded checkpoint at 17
  ASSERT_EQ(part.steps, 17);
  for (int color : colors(world)) {
    const Comm group = world.split(color);
    for (bool shard : {false, true}) {
      // temp_dir is collective over the world: one directory, a copy of the run per group in it.
      const std::string copy = test::temp_dir("shard_resume_copy") + fmt::format("/group{}/run", color);
      if (group.rank() == 0) {
        std::filesystem::create_directories(copy);
        std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
      }
      group.barrier();
      const TrainOutcome resumed = train(shard ? sharded_cfg : with(file, kDet), group, {copy, false, true, "auto"});
      EXPECT_EQ(resumed.steps, full.steps);
      EXPECT_TRUE(test::bitwise_equal(resumed.params, full.params))
          << "resumed on " << group.size() << " ranks, shard " << shard;
    }
  }
}

}  // namespace
