// comm.compress: powersgd (train/powersgd): the low-rank sum with error feedback.
//  - What a step leaves out is kept, not lost: over any number of steps the approximate sums plus
//    the ranks' errors add up to the true sums; uncompressed tensors are summed exactly.
//  - Every rank gets the same bits (the update must not drift apart between ranks).
//  - Training with it learns; a run killed mid-way resumes bit-identical on the same rank count and
//    close on another (the errors summed into rank 0); bad combinations fail with one line.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "kernels/lowrank.hpp"
#include "support/test_util.hpp"
#include "support/train_test_util.hpp"
#include "train/powersgd.hpp"
#include "train/trainer.hpp"

using namespace dpt;
using dpt::test::make_config;
using dpt::test::synth_file;

namespace {

// True when `v` holds the same bits on every rank of `c` (an FNV-1a hash, compared as two exact doubles).
bool same_on_all_ranks(const Comm& c, const float* v, int64_t n) {
  uint64_t h = 1469598103934665603ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(v);
  for (int64_t i = 0; i < n * 4; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  double mine[4] = {static_cast<double>(h >> 32), static_cast<double>(h & 0xffffffffu), 0, 0};
  mine[2] = -mine[0], mine[3] = -mine[1];
  double all[4] = {mine[0], mine[1], mine[2], mine[3]};
  c.allreduce_max(all, 4);
  return all[0] == mine[0] && all[1] == mine[1] && all[2] == mine[2] && all[3] == mine[3];
}

TEST(PowerSgdKernels, OrthonormalColumnsAndRankDeficientInput) {
  std::vector<float> P(50 * 3);
  kern::fill_normal(P.data(), static_cast<int64_t>(P.size()), 7);
  for (int i = 0; i < 50; ++i) P[i * 3 + 2] = 2 * P[i * 3 + 0];  // column 2 depends on column 0
  std::vector<double> scratch(50);
  kern::orthonormalize_columns(P.data(), 50, 3, scratch.data());
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double dot = 0;
      for (int i = 0; i < 50; ++i) dot += static_cast<double>(P[i * 3 + a]) * P[i * 3 + b];
      const double want = a == b && a < 2 ? 1.0 : 0.0;  // the dependent column becomes ~0
      EXPECT_NEAR(dot, want, 1e-5) << a << "," << b;
    }
}

// A store of three tensors: w1 (24, 30) compressed, b1 (24) and w2 (5, 6) (too small) summed as
// they are, in two buckets (w2 last in the buffer: its bucket completes first).
struct Fixture {
  ParamStore store;
  std::vector<PowerSgd::Range> buckets;
  Fixture() {
    store.add("w1", 0, {24, 30});
    store.add("b1", 0, {24});
    store.add("w2", 1, {5, 6});
    store.finalize();
    buckets = {{24 * 30 + 24, 30}, {0, 24 * 30 + 24}};
  }
};

TEST(PowerSgd, ApproximationsPlusErrorsAddUpToTheTrueSumsAndAreTheSameOnEveryRank) {
  const Comm world;
  for (auto mode : {AsyncSum::Progress::poll, AsyncSum::Progress::thread}) {
    Fixture f;
    const int64_t n = f.store.size();
    PowerSgd psgd(f.store, f.buckets, 2, 5);
    ASSERT_EQ(psgd.compressed_tensors(), 1);
    ASSERT_EQ(psgd.errors_size(), 24 * 30);
    EXPECT_EQ(psgd.wire_floats(), 24 + 30 + (24 + 30) * 2);  // b1, w2, then P (24 x 2) and Q (30 x 2)
    AsyncSum async(world, mode);
    std::vector<double> truth(static_cast<size_t>(n), 0.0), approx(static_cast<size_t>(n), 0.0);
    Rng rng(derive_seed(3, static_cast<uint64_t>(world.rank())));
    for (int step = 0; step < 6; ++step) {
      float* g = f.store.grads();
      std::vector<float> mine(static_cast<size_t>(n));
      for (float& v : mine) v = static_cast<float>(rng.uniform(-1, 1));
      std::vector<float> sum = mine;
      world.allreduce_sum(sum.data(), n);
      std::copy(mine.begin(), mine.end(), g);
      psgd.start(async, 0), psgd.start(async, 1);
      async.wait_all("test");
      ASSERT_TRUE(same_on_all_ranks(world, g, n)) << "step " << step;
      for (int64_t i = 0; i < n; ++i) truth[i] += sum[i], approx[i] += g[i];
      for (int64_t i = 24 * 30; i < n; ++i) EXPECT_NEAR(g[i], sum[i], 1e-6) << "uncompressed element " << i;
    }
    std::vector<double> err(psgd.state(), psgd.state() + psgd.errors_size());
    world.allreduce_sum(err.data(), static_cast<int64_t>(err.size()));
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < 24 * 30; ++i)
      worst = std::max(worst, std::abs(approx[i] + err[i] - truth[i])), scale = std::max(scale, std::abs(truth[i]));
    EXPECT_LT(worst, 1e-4 * scale) << "the errors do not account for what the approximations left out";
    // And the approximation is not the true sum (something was compressed) on several ranks.
    double off = 0;
    for (int64_t i = 0; i < 24 * 30; ++i) off = std::max(off, std::abs(approx[i] - truth[i]));
    if (world.size() > 1) {
      EXPECT_GT(off, 1e-3 * scale);
    }
  }
}

// A step whose gradients are all 0 zeroes every column of P and so of the summed Q; the factors
// are drawn anew, so the next step compresses again instead of sending zeros for good.
TEST(PowerSgd, AZeroGradientStepDoesNotStopLaterSteps) {
  const Comm world;
  Fixture f;
  PowerSgd psgd(f.store, f.buckets, 2, 5);
  AsyncSum async(world);
  float* g = f.store.grads();
  std::fill(g, g + f.store.size(), 0.0f);
  psgd.start(async, 0), psgd.start(async, 1);
  async.wait_all("test");
  Rng rng(derive_seed(9, static_cast<uint64_t>(world.rank())));
  for (int64_t i = 0; i < f.store.size(); ++i) g[i] = static_cast<float>(rng.uniform(-1, 1));
  psgd.start(async, 0), psgd.start(async, 1);
  async.wait_all("test");
  double sq = 0;
  for (int64_t i = 0; i < 24 * 30; ++i) sq += static_cast<double>(g[i]) * g[i];
  EXPECT_GT(sq, 1.0) << "the compressed tensor's sum stayed 0 after a zero step";
}

TEST(PowerSgd, ResetZeroesTheErrorsAndRestoresTheFactors) {
  Fixture f;
  PowerSgd a(f.store, f.buckets, 2, 5), b(f.store, f.buckets, 2, 5);
  const Comm world;
  AsyncSum async(world);
  std::fill(f.store.grads(), f.store.grads() + f.store.size(), 0.5f);
  a.start(async, 0), a.start(async, 1);
  async.wait_all("test");
  a.reset();
  EXPECT_EQ(std::memcmp(a.state(), b.state(), static_cast<size_t>(a.state_size()) * 4), 0);
}

class PowerSgdTrain : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }
};

const char* kPsgd = "comm: {compress: powersgd, powersgd_rank: 2}\ntrain: {epochs: 6}";

Config with(const std::string& file, const std::string& extra) {
  Config cfg = make_config(file, kPsgd);
  if (!extra.empty()) cfg.load_yaml(YAML::Load(extra), "test-extra");
  return cfg;
}

TEST_F(PowerSgdTrain, LearnsKeepsRanksInStepAndOverlapDoesNotChangeTheBits) {
  const Comm world;
  const std::string file = synth_file(world, "psgd_train", 250);
  const TrainOutcome on = train(with(file, ""), world, {"", false, true});
  EXPECT_GT(on.test.accuracy, 0.5) << "4 classes: chance is 0.25";
  EXPECT_TRUE(same_on_all_ranks(world, on.params.data(), static_cast<int64_t>(on.params.size())));
  const TrainOutcome off = train(with(file, "comm: {overlap: false}"), world, {"", false, true});
  EXPECT_TRUE(test::bitwise_equal(on.params, off.params));
  const TrainOutcome poll = train(with(file, "comm: {progress: poll}"), world, {"", false, true});
  EXPECT_TRUE(test::bitwise_equal(on.params, poll.params));
  if (world.size() > 1) {
    const TrainOutcome plain = train(with(file, "comm: {compress: none}"), world, {"", false, true});
    EXPECT_FALSE(test::bitwise_equal(on.params, plain.params)) << "nothing was compressed";
  }
}

// Stopped at step 17 (its checkpoint), resumed on the same ranks: the uninterrupted run's bits; on
// 2 + 2 of 4 ranks (the errors summed into rank 0): close to it; on 1 rank (no compression): it trains.
TEST_F(PowerSgdTrain, ResumesBitExactOnTheSameRanksAndCloseOnOthers) {
  const Comm world;
  const std::string file = synth_file(world, "psgd_resume", 250);
  const TrainOutcome full = train(with(file, ""), world, {"", false, true});
  const std::string dir = test::temp_dir("psgd_resume_run") + "/run";
  const TrainOutcome part = train(with(file, "train: {max_steps: 17}"), world, {dir, true, true});
  ASSERT_EQ(part.steps, 17);
  std::vector<int> colors = {0, world.rank()};
  if (world.size() == 4) colors.push_back(world.rank() / 2);
  for (int color : colors) {
    const Comm group = world.split(color);
    const std::string copy = test::temp_dir("psgd_resume_copy") + fmt::format("/group{}/run", color);
    if (group.rank() == 0) {
      std::filesystem::create_directories(copy);
      std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
    }
    group.barrier();
    const TrainOutcome resumed = train(with(file, ""), group, {copy, false, true, "auto"});
    EXPECT_EQ(resumed.steps, full.steps);
    if (group.size() == world.size()) {
      EXPECT_TRUE(test::bitwise_equal(resumed.params, full.params)) << "resumed on the same " << group.size();
    } else if (group.size() > 1) {  // the same compressed sums up to rounding
      EXPECT_LT(test::max_rel_diff(resumed.params, full.params), 0.02) << "resumed on " << group.size();
    } else {  // one rank sends nothing and compresses nothing: plain SGD from step 17 on
      EXPECT_GT(resumed.test.accuracy, 0.5);
    }
  }
}

// A resume with another comm.powersgd_rank (another layout of the state) starts the compressor
// afresh instead of reading errors into the wrong tensors, and still trains.
TEST_F(PowerSgdTrain, ResumeWithAnotherRankStartsTheCompressorAfresh) {
  const Comm world;
  const std::string file = synth_file(world, "psgd_layout", 250);
  const std::string dir = test::temp_dir("psgd_layout_run") + "/run";
  train(with(file, "train: {max_steps: 17}"), world, {dir, true, true});
  const TrainOutcome resumed = train(with(file, "comm: {powersgd_rank: 3}"), world, {dir, false, true, "auto"});
  EXPECT_GT(resumed.steps, 17);
  EXPECT_GT(resumed.test.accuracy, 0.5);
}

TEST_F(PowerSgdTrain, RefusesDeterministicAndShardedRunsWithOneLine) {
  const Comm world;
  const std::string file = synth_file(world, "psgd_refuse", 100);
  for (const char* bad : {"train: {deterministic: true}", "optimizer: {shard: true}"}) {
    try {
      train(with(file, bad), world, {"", false, true});
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("comm.compress = powersgd cannot be combined"), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

}  // namespace
