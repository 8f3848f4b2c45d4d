// train/checkpointing on top of checkpoint/: a model, an Adam optimizer mid-run and the TrainState
// saved collectively (at 1, 2 and 3 ranks) load back bit-exact on every rank, including the doubles
// of the state that pass through JSON; older checkpoints are pruned to `keep`; another optimizer's
// state is refused.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <limits>
#include <string>

#include "checkpoint/checkpoint_dir.hpp"
#include "comm/comm.hpp"
#include "optim/optimizer.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"
#include "train/checkpointing.hpp"

namespace dpt {
namespace {

namespace fs = std::filesystem;
using test::bitwise_equal;
using test::error_of;
using test::random_vector;

const char* kLayers = "[{type: dense, units: 6}, {type: batchnorm}, {type: relu}, {type: dense, units: 3}]";

std::vector<float> values(const float* p, int64_t n) { return {p, p + n}; }

void fill(float* p, int64_t n, uint64_t seed) {
  const auto v = random_vector<float>(static_cast<size_t>(n), seed);
  std::copy(v.begin(), v.end(), p);
}

struct TrainingRun {
  Model model{YAML::Load(kLayers), {5}, 4, "test"};
  std::unique_ptr<Optimizer> opt;
  explicit TrainingRun(const std::string& optimizer, uint64_t seed) {
    OptimizerSettings s;
    s.name = optimizer;
    opt = make_optimizer(s, model.store().size());
    fill(model.store().params(), model.store().size(), seed);
    fill(model.buffers().params(), model.buffers().size(), seed + 1);
    fill(opt->state().data(), opt->state_size(), seed + 2);
    opt->set_steps(static_cast<int64_t>(seed));
  }
};

TrainState awkward_state(int64_t step) {
  TrainState s;
  s.epoch = 3, s.step_in_epoch = 17, s.step = step, s.skipped = 2;
  s.loss_sum = 0.1 + 0.2;  // 0.30000000000000004: needs all 17 digits
  s.seen = 1e300, s.correct = std::numeric_limits<double>::denorm_min(), s.elapsed_s = 1.0 / 3;
  s.early = {{"best", 2.0 / 3}, {"bad_epochs", 1}, {"best_step", step - 4}};
  return s;
}

class Checkpointing : public ::testing::Test {
 protected:
  void TearDown() override {
    world.barrier();
    if (world.rank() == 0) fs::remove_all(dir);
  }
  const Comm world;
  const std::string dir = test::temp_dir("ckpting");
};

TEST_F(Checkpointing, ModelOptimizerAndTrainStateRoundTripBitExact) {
  TrainingRun saved("adam", 7);
  const TrainState st = awkward_state(120);
  const std::string path = save_checkpoint(dir, 3, saved.model, *saved.opt, st, "config: yes\n", world);
  EXPECT_EQ(path, checkpoint_path(dir, 120));

  TrainingRun loaded("adam", 1000);
  const TrainState back = load_checkpoint(path, loaded.model, *loaded.opt);
  EXPECT_TRUE(bitwise_equal(values(loaded.model.store().params(), loaded.model.store().size()),
                            values(saved.model.store().params(), saved.model.store().size())));
  EXPECT_TRUE(bitwise_equal(values(loaded.model.buffers().params(), loaded.model.buffers().size()),
                            values(saved.model.buffers().params(), saved.model.buffers().size())));
  EXPECT_TRUE(bitwise_equal(values(loaded.opt->state().data(), loaded.opt->state_size()),
                            values(saved.opt->state().data(), saved.opt->state_size())));
  EXPECT_EQ(loaded.opt->steps(), 7);
  EXPECT_EQ(back.epoch, st.epoch);
  EXPECT_EQ(back.step_in_epoch, st.step_in_epoch);
  EXPECT_EQ(back.step, st.step);
  EXPECT_EQ(back.skipped, st.skipped);
  for (auto [got, want] : {std::pair{back.loss_sum, st.loss_sum}, std::pair{back.seen, st.seen},
                           std::pair{back.correct, st.correct}, std::pair{back.elapsed_s, st.elapsed_s}})
    EXPECT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(want)) << got << " != " << want;
  EXPECT_EQ(back.early, st.early);
}

TEST_F(Checkpointing, SavingPrunesToKeep) {
  TrainingRun run("sgd", 3);
  for (int64_t step : {10, 20, 30, 40}) save_checkpoint(dir, 2, run.model, *run.opt, awkward_state(step), "", world);
  world.barrier();
  EXPECT_EQ(list_checkpoints(dir), (std::vector<std::string>{checkpoint_path(dir, 40), checkpoint_path(dir, 30)}));
}

TEST_F(Checkpointing, AnotherOptimizersStateIsRefused) {
  TrainingRun adam("adam", 4);
  const std::string path = save_checkpoint(dir, 1, adam.model, *adam.opt, awkward_state(5), "", world);
  TrainingRun sgd("sgd", 5);
  const std::string e = error_of([&] { load_checkpoint(path, sgd.model, *sgd.opt); });
  EXPECT_NE(e.find(path + ": holds 'adam' optimizer state but this run uses optimizer.name = sgd"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace dpt
