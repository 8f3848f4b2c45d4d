// Streaming mode (data.memory_budget): every training sample exactly once per epoch under a budget
// smaller than a rank's shard, at any rank count the same global order, the same samples after a
// resume inside an epoch, with a carved validation split, several files and stored normalization.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "h5/feature_norm_io.hpp"
#include "h5/write.hpp"
#include "input/run_data.hpp"
#include "input/stream_data.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"
#include "train/train_config.hpp"
#include "train/trainer.hpp"

using namespace dpt;

namespace {

// Rows [first, first + n): features (n, 8) int32 = (global row, 7, 0...) with stored normalization
// offset (0, 7, ...) scale (1, 2, ...), so a converted sample's x[0] is its global row and x[1] is 0;
// labels row % 4. Chunks of 37 rows.
void write_rows(const std::string& path, int64_t first, int64_t n) {
  auto f = h5::create(path);
  auto g = h5::create_group(f.get(), "train", path);
  std::vector<int32_t> x(static_cast<size_t>(n * 8), 0), y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[i * 8] = static_cast<int32_t>(first + i), x[i * 8 + 1] = 7, y[i] = (first + i) % 4;
  h5::write_array(g.get(), "x", H5T_STD_I32LE, H5T_NATIVE_INT32, {n, 8}, x.data(), 37, path);
  h5::write_array(g.get(), "y", H5T_STD_I32LE, H5T_NATIVE_INT32, {n}, y.data(), 37, path);
  h5::Handle d(H5Dopen2(g.get(), "x", H5P_DEFAULT), H5Dclose);
  FeatureNorm norm;
  norm.method = "zscore";
  norm.offset.assign(8, 0.0), norm.scale.assign(8, 1.0);
  norm.offset[1] = 7, norm.scale[1] = 2;
  write_feature_norm(d.get(), norm);
}

// Files of `sizes` rows, written once by rank 0.
std::vector<std::string> data_files(const Comm& c, const std::string& tag, const std::vector<int64_t>& sizes) {
  const std::string dir = test::temp_dir(tag);
  std::vector<std::string> files;
  int64_t first = 0;
  for (size_t k = 0; k < sizes.size(); ++k) {
    files.push_back(fmt::format("{}/part-{}.h5", dir, k));
    if (c.rank() == 0) write_rows(files.back(), first, sizes[k]);
    first += sizes[k];
  }
  c.barrier();
  return files;
}

Config stream_config(const std::vector<std::string>& files, const std::string& extra) {
  std::string list;
  for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
  Config cfg(train_options());
  cfg.load_yaml(YAML::Load(fmt::format(R"(
seed: 5
data: {{file: [{}], train_features: /train/x, train_labels: /train/y, test_features: "", memory_budget: 24KiB}}
model: {{layers: [{{type: dense, units: 16}}, {{type: relu}}, {{type: dense, units: 4}}]}}
train: {{batch_size: 24, epochs: 2}}
checkpoint: {{every_epoch: false}}
)",
                                       list)),
                "test");
  if (!extra.empty()) cfg.load_yaml(YAML::Load(extra), "test-extra");
  return cfg;
}

// Runs epoch `epoch` from step `first`; checks each step's samples against the global order and
// returns how often each row was seen on all ranks.
std::vector<int64_t> run_epoch(StreamData& sd, const Comm& c, int64_t n_rows, int64_t epoch, int64_t first,
                               int64_t batch) {
  const EpochPlan plan = sd.plan();
  const std::vector<int64_t> order = sd.order().global_order(epoch);
  std::vector<int64_t> seen(static_cast<size_t>(n_rows), 0);
  std::vector<float> x(static_cast<size_t>(batch * 8));
  std::vector<int32_t> y(static_cast<size_t>(batch));
  sd.begin_epoch(epoch, first);
  for (int64_t st = first; st < plan.steps(); ++st) {
    sd.begin_step(st);
    const int64_t b = plan.local_size(st);
    sd.batch(plan.step_begin[st], b, x.data(), y.data());
    const int64_t slice = block_range(plan.global_size[st], c.rank(), c.size()).first;
    for (int64_t i = 0; i < b; ++i) {
      const auto row = static_cast<int64_t>(x[i * 8]);
      EXPECT_EQ(row, order[static_cast<size_t>(st * batch + slice + i)]) << "step " << st << " sample " << i;
      EXPECT_EQ(x[i * 8 + 1], 0.0f) << "stored normalization not applied";
      EXPECT_EQ(y[i], row % 4);
      ++seen[static_cast<size_t>(row)];
    }
  }
  c.allreduce_sum(seen.data(), n_rows);
  return seen;
}

class StreamTest : public ::testing::Test {
 protected:
  Comm world;
};

}  // namespace

TEST_F(StreamTest, EverySampleOncePerEpochInTheSameOrderOnAnyRankCount) {
  const auto files = data_files(world, "stream-once", {500});
  const TrainSettings s = read_settings(stream_config(files, ""));
  const SampleSource src(s.data.train, s.data.scale);
  std::vector<int64_t> rows(500);
  std::iota(rows.begin(), rows.end(), int64_t{0});
  StreamData sd(s.data, s.run_shape(), src, rows, world);
  // 24 KiB holds far less than a rank's shard (500 rows x 36 bytes = 18 KB / P plus windows):
  EXPECT_EQ(sd.sizing().block_rows, 37);  // the chunk rows
  EXPECT_LE(sd.sizing().bytes_per_rank(world.size(), 24), 24 * 1024);
  EXPECT_LT(sd.sizing().window_blocks * 37, 500);  // several windows: a bounded shuffle
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    const auto seen = run_epoch(sd, world, 500, epoch, 0, 24);
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int64_t v) { return v == 1; })) << "epoch " << epoch;
  }
  // The order is a function of (seed, epoch, block rows, window), not of the rank count: each rank
  // alone (a 1-rank communicator) computes the same global order as the whole job.
  const auto o0 = sd.order().global_order(0), o1 = sd.order().global_order(1);
  EXPECT_NE(o0, o1);
  const Comm self = world.split(world.rank());
  StreamData alone(s.data, s.run_shape(), src, rows, self);
  EXPECT_EQ(alone.order().global_order(0), o0) << world.size() << " ranks vs 1";
  EXPECT_EQ(alone.order().global_order(1), o1) << world.size() << " ranks vs 1";
  std::vector<int64_t> sorted = o0;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, rows);
}

TEST_F(StreamTest, ResumeInsideAnEpochGivesTheSameSamples) {
  const auto files = data_files(world, "stream-resume", {500});
  const TrainSettings s = read_settings(stream_config(files, "data: {shuffle_buffer: 100}"));
  const SampleSource src(s.data.train, s.data.scale);
  std::vector<int64_t> rows(500);
  std::iota(rows.begin(), rows.end(), int64_t{0});
  StreamData resumed(s.data, s.run_shape(), src, rows, world);  // a new process resuming at step 9 of epoch 1
  for (int64_t first : {9, 20}) {
    const auto seen = run_epoch(resumed, world, 500, 1, first, 24);  // checked against the global order
    EXPECT_EQ(std::accumulate(seen.begin(), seen.end(), int64_t{0}), 500 - first * 24);
  }
}

TEST_F(StreamTest, ValidationCarveAndSeveralFiles) {
  const auto files = data_files(world, "stream-multi", {130, 211, 59});
  const TrainSettings s = read_settings(stream_config(files, "data: {val_fraction: 0.2, block_rows: 50}"));
  RunData data(s.data, s.run_shape(), world);
  StreamData sd(s.data, s.run_shape(), data.train_source(), data.train_rows(), world);
  EXPECT_EQ(sd.order().blocks(), 3 + 5 + 2);  // blocks never straddle files
  const auto seen = run_epoch(sd, world, 400, 0, 0, 24);
  std::vector<int64_t> want(400, 0);
  for (int64_t r : data.train_rows()) want[static_cast<size_t>(r)] = 1;
  EXPECT_EQ(seen, want);
  EXPECT_EQ(std::accumulate(want.begin(), want.end(), int64_t{0}), 320);
}

TEST_F(StreamTest, ABudgetTooSmallForOneBlockIsAOneLineError) {
  const auto files = data_files(world, "stream-small", {500});
  const TrainSettings s = read_settings(stream_config(files, "data: {memory_budget: 2KiB}"));
  const SampleSource src(s.data.train, s.data.scale);
  const std::string m = test::error_of([&] { StreamData sd(s.data, s.run_shape(), src, {}, world); });
  EXPECT_NE(m.find("data.memory_budget = 2KiB is too small"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_THROW(read_settings(stream_config(files, "data: {memory_budget: 12 parsecs}")), Error);
}

TEST_F(StreamTest, TrainingResumedMidEpochEqualsAnUninterruptedRun) {
  const auto files = data_files(world, "stream-train", {500});
  const std::string dir = test::temp_dir("stream-train-run");
  const Config all = stream_config(files, "train: {max_steps: 30}");
  const TrainOutcome whole = train(all, world, {"", false, true});
  EXPECT_EQ(whole.steps, 30);
  // Stop at step 26 (inside epoch 2: 21 steps per epoch) with a checkpoint, then resume to 30.
  train(stream_config(files, "train: {max_steps: 26}"), world, {dir, true, true});
  const TrainOutcome resumed = train(all, world, {dir, false, true, "auto"});
  EXPECT_EQ(resumed.steps, 30);
  EXPECT_EQ(resumed.params, whole.params);
}
