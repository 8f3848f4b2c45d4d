// No heap allocation per training step in the steady state (issue: "no allocation per step"):
// `dptrain bench` run for 10 and for 110 timed steps must make (nearly) the same number of C++
// heap allocations. This executable counts every operator new of the process.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "cli/bench.hpp"
#include "support/train_test_util.hpp"

namespace {
std::atomic<long> g_news{0};
}  // namespace

void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace dpt;

namespace {

// Allocations made by 100 more steps of the same run (bench keeps a growing vector of step times:
// a handful of reallocations).
long extra_allocations(const Config& cfg, const Comm& comm) {
  const TrainSettings s = read_settings(cfg);
  const long a0 = g_news.load();
  cli::run_bench(s, comm, {10, 5});
  const long a1 = g_news.load();
  cli::run_bench(s, comm, {110, 5});
  const long a2 = g_news.load();
  return (a2 - a1) - (a1 - a0);
}

const char* kCnn = R"(
model:
  layers: [{type: conv2d, out_channels: 4, kernel_size: 2, padding: 1}, {type: batchnorm}, {type: relu},
           {type: maxpool2d, kernel_size: 2}, {type: flatten}, {type: dropout, p: 0.2}, {type: dense, units: 8},
           {type: tanh}, {type: dense, units: 4}]
optimizer: {name: adam, lr: 0.01}
)";

// A layer graph: a block repeated twice (a node with two consumers each time), a concat, and
// augmented batches.
const char* kGraph = R"(
model:
  layers:
    - {type: conv2d, out_channels: 3, kernel_size: 3, padding: 1, name: stem}
    - {type: block, name: blocks, repeat: 2, layers: [{type: conv2d, out_channels: 3, kernel_size: 3, padding: 1},
       {type: batchnorm, name: b}, {type: add, inputs: [b, input]}, {type: relu}]}
    - {type: concat, inputs: [blocks, stem]}
    - {type: global_avgpool2d}
    - {type: dense, units: 4}
)";

}  // namespace

TEST(SteadyState, TrainingStepsDoNotAllocate) {
  spdlog::set_level(spdlog::level::warn);
  const Comm world;
  const std::string file = test::synth_file(world, "steady", 240);
  struct Case {
    const char* name;
    std::string yaml;
    const char* over = nullptr;  // options on top (a YAML map may not repeat a key)
  };
  const Case cases[] = {
      {"mlp, overlap thread", "comm: {overlap: true, progress: thread, bucket_kb: 4}"},
      {"mlp, overlap poll", "comm: {overlap: true, progress: poll, bucket_kb: 4}"},
      {"mlp, blocking, clipping, accumulation",
       "comm: {overlap: false}\ntrain: {clip_grad_norm: 0.1, grad_accumulation: 2}"},
      {"cnn + batchnorm + dropout + adam", kCnn},
      {"mlp, deterministic", "train: {deterministic: true, micro_shards: 12, batch_size: 48}"},
      {"residual graph + concat + augmentation", kGraph, "data: {augment: {crop_padding: 1, hflip: true}}"},
  };
  for (const auto& c : cases) {
    Config cfg = test::make_config(file, c.yaml);
    if (c.over) cfg.load_yaml(YAML::Load(c.over), "test-override");
    EXPECT_LT(extra_allocations(cfg, world), 20) << c.name;
  }
}
