// End-to-end training at 1-4 ranks on small synthetic HDF5 files.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "checkpoint/model_file.hpp"
#include "core/error.hpp"
#include "train/epoch_data.hpp"
#include "train/train_config.hpp"
#include "train/trainer.hpp"
#include "support/synth_data.hpp"

using namespace dpt;

namespace {

// A synthetic 4-class problem with train and test splits, written once by rank 0.
std::string synth_file(const Comm& c, const std::string& tag, int64_t n_train = 240) {
  const std::string dir = test::temp_dir(tag);
  const std::string file = dir + "/synth.h5";
  if (c.rank() == 0) {
    test::SynthSpec train;
    train.n = n_train, train.shape = {3, 5}, train.elem = test::Elem::U8, train.features = "/train/x",
    train.labels = "/train/y";
    test::write_synth(file, train);
    test::SynthSpec test = train;
    test.n = 97, test.seed = 99, test.features = "/test/x", test.labels = "/test/y";
    test::write_synth(file, test, /*append=*/true);
  }
  c.barrier();
  return file;
}

Config make_config(const std::string& file, const std::string& extra) {
  Config cfg(train_options());
  cfg.load_yaml(YAML::Load(fmt::format(R"(
seed: 11
data: {{file: {}, train_features: /train/x, train_labels: /train/y, test_features: /test/x, test_labels: /test/y,
       scale: 1/180}}
model:
  layers: [{{type: dense, units: 32}}, {{type: relu}}, {{type: dense, units: 16}}, {{type: relu}}, {{type: dense, units: 4}}]
optimizer: {{lr: 0.1, momentum: 0.9}}
train: {{batch_size: 24, epochs: 3}}
)", file)), "test");
  if (!extra.empty()) cfg.load_yaml(YAML::Load(extra), "test-extra");
  return cfg;
}

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(a[i])));
  }
  return diff / std::max(scale, 1e-30);
}

class TrainTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }
};

}  // namespace

TEST_F(TrainTest, OneRankAndAllRanksGiveTheSameParametersAfter20Steps) {
  const Comm world;
  const std::string file = synth_file(world, "equal");
  // 20 steps with a global batch of 24 that no rank count from 1 to 4 splits the same way.
  const Config cfg = make_config(file, "train: {max_steps: 20, epochs: 5}");
  const TrainOutcome all = train(cfg, world, {"", false, true});
  EXPECT_EQ(all.steps, 20);
  // Every rank of the job holds the same parameters, bit for bit.
  std::vector<float> from_root = all.params;
  world.bcast(from_root.data(), static_cast<int64_t>(from_root.size()), 0);
  EXPECT_EQ(0, std::memcmp(from_root.data(), all.params.data(), all.params.size() * 4));
  // The same run on one rank (each rank alone in its own communicator).
  const Comm self = world.split(world.rank());
  const TrainOutcome one = train(cfg, self, {"", false, true});
  ASSERT_EQ(one.params.size(), all.params.size());
  EXPECT_LT(max_rel_diff(one.params, all.params), 1e-5) << "ranks=" << world.size();
}

TEST_F(TrainTest, ExchangedEpochDataEqualsDirectReads) {
  const Comm world;
  const std::string file = synth_file(world, "exch", 203);
  const SampleSource src({file, "/train/x", "/train/y", "a", "b"}, 0.5f);
  const Sampler sampler(src.size(), 20, 3, true);
  const EpochData data(src, sampler, world);
  for (int64_t epoch : {0, 1, 7}) {
    const EpochPlan plan = sampler.plan(epoch, world.rank(), world.size());
    const Shard a = data.load(epoch, plan), b = load_shard(src, plan.indices);
    ASSERT_EQ(a.rows, b.rows);
    EXPECT_EQ(a.y, b.y);
    EXPECT_EQ(0, std::memcmp(a.x.data(), b.x.data(), a.x.size() * 4)) << "epoch " << epoch;
  }
}

TEST_F(TrainTest, LearnsAndWritesTheRunDirectory) {
  const Comm world;
  const std::string file = synth_file(world, "learn");
  const std::string out = std::filesystem::path(file).parent_path() / "run";
  const Config cfg = make_config(file, "train: {epochs: 6}");
  const TrainOutcome r = train(cfg, world, {out, false, true});
  EXPECT_EQ(r.epochs, 6);
  EXPECT_EQ(r.test.samples, 97);
  EXPECT_GT(r.test.accuracy, 0.9) << "the synthetic classes are separable";
  if (world.rank() == 0) {
    std::ifstream m(out + "/metrics.jsonl");
    std::string line;
    int lines = 0;
    while (std::getline(m, line)) {
      const auto j = nlohmann::json::parse(line);
      for (const char* key : {"epoch", "step", "train_loss", "test_loss", "test_accuracy", "samples_per_s", "elapsed_s"})
        EXPECT_TRUE(j.contains(key)) << key;
      EXPECT_EQ(j["epoch"], ++lines);
      EXPECT_EQ(j["step"], lines * 10);  // 240 samples / 24
    }
    EXPECT_EQ(lines, 6);
    EXPECT_TRUE(std::filesystem::exists(out + "/config.yaml"));
    EXPECT_TRUE(std::filesystem::exists(out + "/train.log"));
    // The saved model reproduces the final test accuracy.
    const ModelFileInfo info = read_model_info(out + "/model.h5");
    EXPECT_EQ(info.epoch, 6);
    EXPECT_EQ(info.step, 60);
    Config saved(train_options());
    saved.load_yaml(YAML::Load(info.config_yaml), "saved");
    EXPECT_EQ(saved.to_yaml(), cfg.to_yaml());
    Model model(read_settings(saved).layers, info.input_shape, 100, "saved");
    load_model_params(out + "/model.h5", model);
    EXPECT_EQ(0, std::memcmp(model.store().params(), r.params.data(), r.params.size() * 4));
  }
  // A second run into the same directory is refused unless asked to overwrite.
  EXPECT_THROW(train(cfg, world, {out, false, true}), Error);
}

TEST_F(TrainTest, FewerSamplesThanRanksIsAnErrorOnEveryRank) {
  const Comm world;
  if (world.size() < 2) GTEST_SKIP() << "needs 2+ ranks";
  const std::string file = synth_file(world, "tiny", world.size() - 1);
  try {
    train(make_config(file, "train: {batch_size: 4}"), world, {"", false, true});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("fewer than the {} ranks", world.size())), std::string::npos)
        << e.what();
  }
}
