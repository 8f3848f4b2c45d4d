// train.deterministic: the same seed and global batch give the same weights, bit for bit, on every
// rank count that divides train.micro_shards, including a resume at another rank count.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "core/error.hpp"
#include "support/test_util.hpp"
#include "support/train_test_util.hpp"
#include "train/trainer.hpp"

using namespace dpt;
using dpt::test::make_config;
using dpt::test::synth_file;

namespace {

class DeterministicTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }
};

// 250 samples, global batch 48: 5 full steps and a short one of 10 samples (< 12 micro-shards:
// two of them are empty) per epoch.
const char* kMlp = "train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 40}\n";
const std::string kCnnModel = R"(
model:
  layers: [{type: conv2d, out_channels: 4, kernel_size: 2, padding: 1}, {type: batchnorm}, {type: relu},
           {type: maxpool2d, kernel_size: 2}, {type: flatten}, {type: dropout, p: 0.2}, {type: dense, units: 8},
           {type: batchnorm}, {type: tanh}, {type: dense, units: 4}]
optimizer: {name: adam, lr: 0.01}
)";
const std::string kCnn =
    kCnnModel + "train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 35, clip_grad_norm: 0.5}\n";
// A layer graph: residual blocks (a node feeding two consumers), a concat with an earlier output.
const std::string kResidual = R"(
model:
  layers:
    - {type: conv2d, out_channels: 3, kernel_size: 3, padding: 1, bias: false}
    - {type: batchnorm}
    - {type: relu, name: stem}
    - type: block
      name: blocks
      repeat: 2
      layers: [{type: conv2d, out_channels: 3, kernel_size: 3, padding: 1, bias: false}, {type: batchnorm, name: b},
               {type: add, inputs: [b, input]}, {type: relu}]
    - {type: concat, inputs: [blocks, stem]}
    - {type: flatten}
    - {type: dropout, p: 0.2}
    - {type: dense, units: 4}
optimizer: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true}
train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 12}
)";

// make_config(file, extra) with the options of `yaml` on top (a YAML map may not repeat a key, so
// overrides go here).
Config with(const std::string& file, const std::string& extra, const std::string& yaml) {
  Config cfg = make_config(file, extra);
  cfg.load_yaml(YAML::Load(yaml), "test-override");
  return cfg;
}

// Trains `cfg` on the whole job and on groups of ranks of other sizes; every group must end with
// the whole job's parameters and batchnorm statistics, bit for bit.
void expect_same_on_every_rank_count(const Config& cfg, int64_t min_steps = 200) {
  const Comm world;
  const TrainOutcome all = train(cfg, world, {"", false, true});
  ASSERT_GE(all.steps, min_steps);
  std::vector<int> colors = {world.rank()};                    // one rank each
  if (world.size() == 4) colors.push_back(world.rank() / 2);   // two groups of 2
  if (world.size() == 4) colors.push_back(world.rank() == 0);  // groups of 1 and 3
  for (int color : colors) {
    const Comm group = world.split(color);
    const TrainOutcome part = train(cfg, group, {"", false, true});
    EXPECT_TRUE(test::bitwise_equal(part.params, all.params)) << group.size() << " vs " << world.size() << " ranks";
    EXPECT_TRUE(test::bitwise_equal(part.buffers, all.buffers)) << group.size() << " vs " << world.size() << " ranks";
    EXPECT_EQ(part.steps, all.steps);
  }
}

}  // namespace

TEST_F(DeterministicTest, MlpIsBitIdenticalOnEveryRankCount) {
  const Comm world;
  expect_same_on_every_rank_count(make_config(synth_file(world, "det_mlp", 250), kMlp));
}

// Real-size matrix products (32 x 784 -> 512 per micro-shard): OpenBLAS runs them threaded when it may, and its
// threaded sgemm rounds differently from one thread at some shapes; the groups of 1 rank run 2 threads here.
TEST_F(DeterministicTest, WideMlpIsBitIdenticalOnEveryRankCountAndThreadCount) {
  const Comm world;
  const std::string dir = test::temp_dir("det_wide");
  const std::string file = dir + "/wide.h5";
  if (world.rank() == 0) {
    test::SynthSpec spec;
    spec.n = 800, spec.shape = {784}, spec.features = "/train/x", spec.labels = "/train/y";
    test::write_synth(file, spec);
    spec.n = 50, spec.seed = 9, spec.features = "/test/x", spec.labels = "/test/y";
    test::write_synth(file, spec, true);
  }
  world.barrier();
  expect_same_on_every_rank_count(
      with(file, "model: {layers: [{type: dense, units: 512}, {type: relu}, {type: dense, units: 4}]}",
           "train: {deterministic: true, micro_shards: 12, batch_size: 384, epochs: 6}"),
      18);
}

TEST_F(DeterministicTest, CnnWithBatchnormDropoutAdamAndClippingIsBitIdenticalOnEveryRankCount) {
  const Comm world;
  expect_same_on_every_rank_count(make_config(synth_file(world, "det_cnn", 250), kCnn));
}

TEST_F(DeterministicTest, GradientAccumulationInsideMicroShardsIsBitIdenticalOnEveryRankCount) {
  const Comm world;
  const std::string extra =
      kCnnModel + "train: {grad_accumulation: 2, deterministic: true, micro_shards: 12, batch_size: 48, epochs: 35}\n";
  expect_same_on_every_rank_count(make_config(synth_file(world, "det_accum", 250), extra));
}

TEST_F(DeterministicTest, BatchnormRunningStatisticsDoNotDependOnGradientAccumulation) {
  const Comm world;
  const std::string file = synth_file(world, "det_bn_accum", 250);
  // Frozen weights: the running statistics then estimate the same mean and variance for k = 1, 2.
  const std::string frozen = kCnnModel + "train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 8}\n";
  const std::string sgd = "optimizer: {name: sgd, lr: 1.0e-30}";
  const TrainOutcome one = train(with(file, frozen, sgd), world, {"", false, true});
  const TrainOutcome two = train(with(file, frozen, sgd + "\ntrain: {grad_accumulation: 2}"), world, {"", false, true});
  ASSERT_EQ(one.buffers.size(), two.buffers.size());
  EXPECT_LT(test::max_rel_diff(one.buffers, two.buffers), 0.05);
}

// The exact sum overlapped with backward by the communication thread or by polling, in buckets of
// 1 Ki floats (3 buckets whose bounds at 1600 and 6650 floats cut 256-element blocks) or of the
// default size, gives the bits of the blocking sum; the batchnorm statistics are summed too.
TEST_F(DeterministicTest, OverlapBucketSizeAndProgressModeDoNotChangeTheBits) {
  const Comm world;
  const std::string file = synth_file(world, "det_overlap", 250);
  const std::string blocking = R"(
model:
  layers: [{type: dense, units: 100}, {type: relu}, {type: dense, units: 50}, {type: relu}, {type: dense, units: 30},
           {type: batchnorm}, {type: relu}, {type: dense, units: 4}]
train: {deterministic: true, micro_shards: 12, batch_size: 48}
comm: {overlap: false}
)";
  const TrainOutcome want = train(with(file, blocking, "train: {epochs: 4}"), world, {"", false, true});
  for (const char* comm : {"{overlap: true, bucket_kb: 4, progress: thread}",
                           "{overlap: true, bucket_kb: 4, progress: poll}", "{overlap: true}"}) {
    const std::string over = std::string("train: {epochs: 4}\ncomm: ") + comm;
    const TrainOutcome got = train(with(file, blocking, over), world, {"", false, true});
    EXPECT_TRUE(test::bitwise_equal(got.params, want.params)) << comm;
    EXPECT_TRUE(test::bitwise_equal(got.buffers, want.buffers)) << comm;
    EXPECT_EQ(got.steps, want.steps);
  }
}

TEST_F(DeterministicTest, RepeatedRunsAreBitIdentical) {
  const Comm world;
  const Config cfg = make_config(synth_file(world, "det_repeat", 250), kCnn);
  const TrainOutcome a = train(cfg, world, {"", false, true});
  const TrainOutcome b = train(cfg, world, {"", false, true});
  EXPECT_TRUE(test::bitwise_equal(a.params, b.params));
  EXPECT_TRUE(test::bitwise_equal(a.buffers, b.buffers));
}

namespace {
// `model` trained on the whole job, against rank 0 alone training 23 steps (mid-epoch) with a
// checkpoint and then the whole job resuming from it: the same parameters and statistics.
void expect_resume_on_another_rank_count_is_bit_identical(const std::string& tag, const std::string& model) {
  const Comm world;
  const std::string file = synth_file(world, tag, 250);
  const Config full_cfg = make_config(file, model);
  const TrainOutcome full = train(full_cfg, world, {"", false, true});
  const std::string dir = test::temp_dir(tag + "_run") + "/run";
  const Comm self = world.split(world.rank());
  if (world.rank() == 0) {
    const TrainOutcome part = train(with(file, model, "train: {max_steps: 23}"), self, {dir, true, true});
    EXPECT_EQ(part.steps, 23);
  }
  world.barrier();
  const TrainOutcome resumed = train(full_cfg, world, {dir, false, true, "auto"});
  EXPECT_EQ(resumed.steps, full.steps);
  EXPECT_TRUE(test::bitwise_equal(resumed.params, full.params)) << "resumed on " << world.size() << " ranks";
  EXPECT_TRUE(test::bitwise_equal(resumed.buffers, full.buffers));
}
}  // namespace

TEST_F(DeterministicTest, ResumeOnAnotherRankCountIsBitIdentical) {
  expect_resume_on_another_rank_count_is_bit_identical("det_resume", kCnn);
}

TEST_F(DeterministicTest, ResidualGraphWithAugmentationIsBitIdenticalOnEveryRankCount) {
  const Comm world;
  const std::string file = synth_file(world, "det_graph", 250);
  const Config augmented = with(file, kResidual, "data: {augment: {crop_padding: 1, hflip: true}}");
  expect_same_on_every_rank_count(augmented, 60);
  // The augmentation reaches the batches: without it the weights differ.
  const TrainOutcome plain = train(make_config(file, kResidual), world, {"", false, true});
  EXPECT_FALSE(test::bitwise_equal(plain.params, train(augmented, world, {"", false, true}).params));
}

// The layers of encoder-decoders: nearest upsampling, zero padding, a valid convolution, a center crop,
// layernorm (its statistics and parameter gradients), global average pooling of any rank.
TEST_F(DeterministicTest, EncoderDecoderLayersAreBitIdenticalOnEveryRankCount) {
  const Comm world;
  const std::string unet = R"(
model:
  layers: [{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}, {type: batchnorm}, {type: relu},
           {type: upsample}, {type: pad, padding: 1}, {type: conv2d, out_channels: 4, kernel_size: 3},
           {type: crop, crop: 1}, {type: layernorm}, {type: relu}, {type: maxpool2d, kernel_size: 2},
           {type: global_avgpool}, {type: dense, units: 4}]
optimizer: {name: adam, lr: 0.01}
train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 10}
)";
  expect_same_on_every_rank_count(make_config(synth_file(world, "det_unet", 250), unet), 50);
}

// 250 + 50 samples of (1, 4, 4, 4) float volumes (64 values: data.sample_shape views them as
// signals or images too), written once by rank 0.
static std::string nd_file(const Comm& world) {
  const std::string file = test::temp_dir("det_nd") + "/nd.h5";
  if (world.rank() == 0) {
    test::SynthSpec spec;
    spec.n = 250, spec.shape = {1, 4, 4, 4}, spec.features = "/train/x", spec.labels = "/train/y";
    test::write_synth(file, spec);
    spec.n = 50, spec.seed = 9, spec.features = "/test/x", spec.labels = "/test/y";
    test::write_synth(file, spec, true);
  }
  world.barrier();
  return file;
}

// Transposed convolutions (a U-Net's 2x2 stride-2 upsampling joined by concat, then one with
// per-axis kernel, padding and output_padding): vol2col / col2vol and the GEMMs of their blocks;
// over (1, 8, 8) images (the 2x2 pooling and 2x2 stride-2 upsampling need an even size).
TEST_F(DeterministicTest, TransposedConvolutionsAreBitIdenticalOnEveryRankCount) {
  const Comm world;
  const std::string up = R"(
data: {sample_shape: [1, 8, 8]}
model:
  layers: [{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, name: stem}, {type: relu},
           {type: maxpool2d, kernel_size: 2}, {type: conv_transpose2d, out_channels: 4, kernel_size: 2, stride: 2, name: up},
           {type: concat, inputs: [up, stem]},
           {type: conv_transpose2d, out_channels: 3, kernel_size: [3, 2], stride: 2, padding: 1, output_padding: [1, 0]},
           {type: relu}, {type: global_avgpool}, {type: dense, units: 4}]
optimizer: {name: adam, lr: 0.01}
train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 10}
)";
  expect_same_on_every_rank_count(make_config(nd_file(world), up), 50);
}

// Signals and volumes: conv1d, batchnorm, maxpool1d and avgpool1d over (2, 32) signals; conv3d,
// maxpool3d and avgpool3d over (1, 4, 4, 4) volumes (rank-5 data); global_avgpool of both ranks.
TEST_F(DeterministicTest, SignalAndVolumeLayersAreBitIdenticalOnEveryRankCount) {
  const Comm world;
  const std::string file = nd_file(world);
  const std::string signal = R"(
data: {sample_shape: [2, 32]}
model:
  layers: [{type: conv1d, out_channels: 4, kernel_size: 3, padding: 1}, {type: batchnorm}, {type: relu},
           {type: maxpool1d, kernel_size: 2}, {type: conv1d, out_channels: 4, kernel_size: 3, dilation: 2},
           {type: avgpool1d, kernel_size: 2}, {type: global_avgpool}, {type: dense, units: 4}]
optimizer: {name: adam, lr: 0.01}
train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 10}
)";
  expect_same_on_every_rank_count(make_config(file, signal), 50);
  const std::string volume = R"(
model:
  layers: [{type: conv3d, out_channels: 4, kernel_size: 3, padding: 1}, {type: relu},
           {type: maxpool3d, kernel_size: 2}, {type: conv3d, out_channels: 4, kernel_size: [1, 2, 2]},
           {type: avgpool3d, kernel_size: 1}, {type: global_avgpool}, {type: dense, units: 4}]
optimizer: {name: adam, lr: 0.01}
train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 10}
)";
  expect_same_on_every_rank_count(make_config(file, volume), 50);
}

TEST_F(DeterministicTest, ResidualGraphResumesOnAnotherRankCountBitIdentically) {
  expect_resume_on_another_rank_count_is_bit_identical("det_graph_resume", kResidual);
}

TEST_F(DeterministicTest, MicroShardsThatTheRankCountDoesNotDivideAreAnErrorOnEveryRank) {
  const Comm world;
  if (world.size() == 1) GTEST_SKIP() << "every micro-shard count suits one rank";
  const Config cfg = make_config(synth_file(world, "det_bad", 250), "train: {deterministic: true, micro_shards: 5}\n");
  const std::string m = test::error_of([&] { train(cfg, world, {"", false, true}); });
  EXPECT_NE(m.find("train.micro_shards = 5 is not a multiple of the rank count"), std::string::npos) << m;
}

TEST_F(DeterministicTest, SyncBatchnormIsRefused) {
  const Comm world;
  const Config cfg = make_config(synth_file(world, "det_sync", 250), R"(
model:
  layers: [{type: dense, units: 8}, {type: batchnorm, sync: true}, {type: relu}, {type: dense, units: 4}]
train: {deterministic: true, micro_shards: 4}
)");
  EXPECT_THROW(train(cfg, world, {"", false, true}), Error);
}

TEST_F(DeterministicTest, NonFiniteGradientsStopEveryRankOrAreSkipped) {
  const Comm world;
  const std::string file = synth_file(world, "det_nan", 250);
  const std::string diverge = "optimizer: {lr: 1.0e+30, momentum: 0}\n";
  const std::string m = test::error_of([&] {
    train(make_config(file, diverge + "train: {deterministic: true, micro_shards: 12, batch_size: 48, epochs: 2}"),
          world, {"", false, true});
  });
  EXPECT_NE(m.find("training diverged"), std::string::npos) << m;
  const TrainOutcome r = train(
      make_config(
          file, diverge + "train: {deterministic: true, micro_shards: 12, batch_size: 48, nonfinite: skip, epochs: 1}"),
      world, {"", false, true});
  EXPECT_EQ(r.steps, 6);
}
