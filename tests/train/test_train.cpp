// End-to-end training at 1-4 ranks on small synthetic HDF5 files.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint_dir.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/model_file.hpp"
#include "core/error.hpp"
#include "input/epoch_data.hpp"
#include "support/synth_data.hpp"
#include "support/train_test_util.hpp"
#include "train/train_config.hpp"
#include "train/trainer.hpp"

using namespace dpt;
using dpt::test::make_config;
using dpt::test::max_rel_diff;
using dpt::test::synth_file;

namespace {

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

// Sync batchnorm inside a graph (one on the main path, one on a projection shortcut, summed by an
// add): P ranks train like one rank on the whole batch. Without sync each rank normalizes its own
// slice, and P > 1 ranks train differently (so the comparison can fail).
TEST_F(TrainTest, SyncBatchnormInAGraphTrainsLikeOneRank) {
  const Comm world;
  const std::string file = synth_file(world, "graph_sync");
  const auto graph = [](const char* sync) {
    return fmt::format(R"(
model:
  layers:
    - {{type: dense, units: 8, name: stem}}
    - {{type: relu}}
    - {{type: dense, units: 8}}
    - {{type: batchnorm, sync: {0}, name: main}}
    - {{type: dense, units: 8, inputs: [stem]}}
    - {{type: batchnorm, sync: {0}, name: shortcut}}
    - {{type: add, inputs: [main, shortcut]}}
    - {{type: relu}}
    - {{type: dense, units: 4}}
train: {{max_steps: 12, epochs: 5}}
)",
                       sync);
  };
  const Comm self = world.split(world.rank());
  for (const char* sync : {"true", "false"}) {
    const Config cfg = make_config(file, graph(sync));
    const TrainOutcome all = train(cfg, world, {"", false, true});
    const TrainOutcome one = train(cfg, self, {"", false, true});
    ASSERT_EQ(one.params.size(), all.params.size());
    const double diff = max_rel_diff(one.params, all.params);
    if (std::string(sync) == "true") {
      EXPECT_LT(diff, 1e-5) << "ranks=" << world.size();
    } else if (world.size() > 1) {
      EXPECT_GT(diff, 1e-3) << "ranks=" << world.size();
    }
  }
}

// A checkpoint inside an epoch with local batchnorm: each rank's running statistics are its own
// until the epoch's end averages them. The checkpoint must still be one consistent file (it was
// written as a mix of the ranks' blocks under one rank's checksum, then skipped as corrupt by
// every resume; it now holds the ranks' average), and the run goes on as without checkpoints.
TEST_F(TrainTest, MidEpochCheckpointsWithLocalBatchnormAreValid) {
  const Comm world;
  const std::string file = synth_file(world, "ckpt_bn");
  const std::string out = std::filesystem::path(file).parent_path() / "run";
  const std::string net =
      "model: {layers: [{type: dense, units: 8}, {type: batchnorm}, {type: relu}, {type: dense, units: 4}]}\n";
  const Config cfg = make_config(file, net + "train: {max_steps: 7, epochs: 5}\ncheckpoint: {every_steps: 3}");
  const TrainOutcome with = train(cfg, world, {out, false, true});
  const TrainOutcome without = train(cfg, world, {"", false, true});  // no checkpoints written
  EXPECT_EQ(0, std::memcmp(with.params.data(), without.params.data(), with.params.size() * 4));
  EXPECT_EQ(with.test.loss, without.test.loss);  // evaluated with the run's own running statistics
  for (const int64_t step : {3, 6})
    EXPECT_NO_THROW(verify_checkpoint_data(checkpoint_path(out + "/checkpoints", step))) << "step " << step;
}

TEST_F(TrainTest, ExchangedEpochDataEqualsDirectReads) {
  const Comm world;
  const std::string file = synth_file(world, "exch", 203);
  const SampleSource src({file, "/train/x", "/train/y", "a", "b"}, 0.5f);
  const Sampler sampler(src.size(), 20, 3, true);
  EpochData data(src, sampler, world);
  for (int64_t epoch : {0, 1, 7}) {
    const EpochPlan plan = sampler.plan(epoch, world.rank(), world.size());
    const RawRows& a = data.load(epoch, plan);
    const Shard b = load_shard(src, plan.indices);
    ASSERT_EQ(a.size(), b.rows);
    std::vector<float> x(static_cast<size_t>(a.size() * b.D));
    std::vector<int32_t> y(static_cast<size_t>(a.size()));
    a.batch(0, a.size(), x.data(), y.data());
    EXPECT_EQ(y, b.y);
    EXPECT_EQ(0, std::memcmp(x.data(), b.x.data(), x.size() * 4)) << "epoch " << epoch;
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
    nlohmann::json end;
    while (std::getline(m, line)) {
      const auto j = nlohmann::json::parse(line);
      if (j.contains("event")) {
        end = j;
        continue;
      }
      for (const char* key :
           {"epoch", "step", "train_loss", "test_loss", "test_accuracy", "samples_per_s", "elapsed_s"})
        EXPECT_TRUE(j.contains(key)) << key;
      EXPECT_EQ(j["epoch"], ++lines);
      EXPECT_EQ(j["step"], lines * 10);  // 240 samples / 24
    }
    EXPECT_EQ(lines, 6);
    EXPECT_EQ(end["event"], "end");
    EXPECT_EQ(end["reason"], "epochs");
    EXPECT_DOUBLE_EQ(end["test_accuracy"].get<double>(), r.test.accuracy);
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

TEST_F(TrainTest, GradientAccumulationEqualsOneBigBatch) {
  const Comm world;
  const std::string file = synth_file(world, "accum");
  // Global batch 48 as 1 micro-batch per rank, or as 4 micro-batches per rank: same step.
  const TrainOutcome one = train(make_config(file, "train: {batch_size: 48, max_steps: 12}"), world, {"", false, true});
  const TrainOutcome four = train(make_config(file, "train: {batch_size: 48, max_steps: 12, grad_accumulation: 4}"),
                                  world, {"", false, true});
  EXPECT_LT(max_rel_diff(one.params, four.params), 1e-5);  // only the order of the float sums differs
}

TEST_F(TrainTest, ClippingBoundsTheUpdate) {
  const Comm world;
  const std::string file = synth_file(world, "clip");
  const std::string base = "optimizer: {momentum: 0}\ntrain: {max_steps: 1}\n";
  const TrainOutcome start = train(make_config(file, base + "optimizer: {lr: 1.0e-30}"), world, {"", false, true});
  const TrainOutcome clipped =
      train(make_config(file, base + "optimizer: {lr: 1.0}\ntrain: {clip_grad_norm: 0.01}"), world, {"", false, true});
  double norm = 0;  // plain SGD, one step: the update is lr * clipped gradient, of norm <= 0.01
  for (size_t i = 0; i < start.params.size(); ++i) norm += std::pow(double(clipped.params[i]) - start.params[i], 2);
  EXPECT_LE(std::sqrt(norm), 0.01 * 1.0001);
  EXPECT_GT(std::sqrt(norm), 0.009);
}

TEST_F(TrainTest, NonFiniteGradientsStopEveryRankWithAClearError) {
  const Comm world;
  const std::string file = synth_file(world, "nan");
  const Config cfg = make_config(file, "optimizer: {lr: 1.0e+30, momentum: 0}\ntrain: {epochs: 2}");
  try {
    train(cfg, world, {"", false, true});
    FAIL() << "expected divergence to stop training";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("training diverged"), std::string::npos) << e.what();
  }
  // With train.nonfinite = skip the run goes on and reports the skipped steps.
  const TrainOutcome r = train(make_config(file,
                                           "optimizer: {lr: 1.0e+30, momentum: 0}\n"
                                           "train: {epochs: 1, nonfinite: skip}"),
                               world, {"", false, true});
  EXPECT_EQ(r.steps, 10);
}

TEST_F(TrainTest, EarlyStoppingStopsOnAPlateauAndRestoresTheBestWeights) {
  const Comm world;
  const std::string file = synth_file(world, "early");
  const std::string out = std::filesystem::path(file).parent_path() / "run";
  // A learning rate so small that validation loss barely moves: with min_delta 0.5 no epoch after
  // the first counts as an improvement, so it stops after 1 + patience epochs.
  const Config cfg = make_config(file,
                                 "data: {val_fraction: 0.25}\noptimizer: {lr: 1.0e-4}\n"
                                 "train: {epochs: 20}\nearly_stopping: {patience: 2, min_delta: 0.5}");
  const TrainOutcome r = train(cfg, world, {out, false, true});
  EXPECT_EQ(r.stop_reason, StopReason::early_stopping);
  EXPECT_EQ(to_string(r.stop_reason), "early_stopping");
  EXPECT_EQ(r.epochs, 3);
  EXPECT_EQ(r.best_epoch, 1);
  if (world.rank() == 0) {  // the final model is the best epoch's (written to best_model.h5 then)
    const ModelFileInfo best = read_model_info(out + "/best_model.h5");
    EXPECT_EQ(best.epoch, 1);
    Config saved(train_options());
    saved.load_yaml(YAML::Load(best.config_yaml), "saved");
    Model model(read_settings(saved).layers, best.input_shape, 100, "saved");
    load_model_params(out + "/best_model.h5", model);
    EXPECT_EQ(0, std::memcmp(model.store().params(), r.params.data(), r.params.size() * 4));
  }
}

TEST_F(TrainTest, RepeatedRunsAreBitIdenticalWithConvBatchnormDropoutAndOverlap) {
  const Comm world;
  const std::string file = synth_file(world, "repeat");
  // Samples are (1, 3, 5) images; conv + batchnorm + dropout exercise every kind of state.
  const std::string extra = R"(
model:
  layers: [{type: conv2d, out_channels: 4, kernel_size: 2, padding: 1}, {type: batchnorm}, {type: relu},
           {type: maxpool2d, kernel_size: 2}, {type: flatten}, {type: dropout, p: 0.2}, {type: dense, units: 4}]
optimizer: {name: adam, lr: 0.01}
train: {epochs: 2, grad_accumulation: 2}
comm: {overlap: true, bucket_kb: 4}
)";
  const TrainOutcome a = train(make_config(file, extra), world, {"", false, true});
  const TrainOutcome b = train(make_config(file, extra), world, {"", false, true});
  ASSERT_EQ(a.params.size(), b.params.size());
  EXPECT_EQ(0, std::memcmp(a.params.data(), b.params.data(), a.params.size() * 4));
  EXPECT_EQ(a.test.loss, b.test.loss);
}

TEST_F(TrainTest, OverlappedAndBlockingGradientSumsAgree) {
  const Comm world;
  const std::string file = synth_file(world, "overlap");
  const TrainOutcome on =
      train(make_config(file, "comm: {overlap: true, bucket_kb: 4}\ntrain: {max_steps: 15}"), world, {"", false, true});
  const TrainOutcome off =
      train(make_config(file, "comm: {overlap: false}\ntrain: {max_steps: 15}"), world, {"", false, true});
  EXPECT_LT(max_rel_diff(on.params, off.params), 1e-5);  // same sums, possibly another reduction order
}

TEST_F(TrainTest, CommThreadGradientSumsEqualBlockingBitForBit) {
  // comm.progress=thread: the buckets are summed by blocking MPI_Allreduce calls on a communication
  // thread; the same additions as the one allreduce after backward (for this model's sizes at every
  // rank count: Open MPI picks the same algorithm for a bucket as for the whole buffer).
  const Comm world;
  const std::string file = synth_file(world, "overlap_thread");
  const TrainOutcome thr =
      train(make_config(file, "comm: {overlap: true, bucket_kb: 4, progress: thread}\ntrain: {max_steps: 15}"), world,
            {"", false, true});
  const TrainOutcome off =
      train(make_config(file, "comm: {overlap: false}\ntrain: {max_steps: 15}"), world, {"", false, true});
  ASSERT_EQ(thr.params.size(), off.params.size());
  EXPECT_EQ(0, std::memcmp(thr.params.data(), off.params.data(), thr.params.size() * 4));
  EXPECT_EQ(thr.test.loss, off.test.loss);
}
