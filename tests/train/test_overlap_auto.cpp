// comm.overlap: auto: the choice from the first steps (synthetic step times with a known answer,
// every rank agreeing on the slowest rank's), and a real run that picks, logs once, and gives the
// same bits as overlap on and off.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <regex>
#include <sstream>

#include "support/train_test_util.hpp"
#include "train/overlap_auto.hpp"
#include "train/trainer.hpp"

using namespace dpt;

namespace {
constexpr int kDecide = OverlapAuto::kWarmup + 2 * OverlapAuto::kEach;  // steps until the choice

// Feeds a calibration steps of 1 ms in the faster mode and 2 ms in the other (5 ms on the last rank
// in `slow_last_on` mode's steps); returns the modes of steps 0..kDecide and the mode after.
std::vector<bool> run_calibration(const Comm& world, bool on_faster, bool slow_last_on) {
  OverlapAuto a(world, true, true);
  std::vector<bool> modes;
  for (int i = 0; i < kDecide; ++i) {
    modes.push_back(a.overlap());
    double t = a.overlap() == on_faster ? 1e-3 : 2e-3;
    if (slow_last_on && a.overlap() && world.rank() == world.size() - 1) t = 5e-3;
    a.step_done(t);
  }
  for (int i = 0; i < 3; ++i) modes.push_back(a.overlap()), a.step_done(1.0);  // decided: no change
  return modes;
}
}  // namespace

TEST(OverlapAuto, WarmsUpAlternatesAndKeepsTheFasterMode) {
  const Comm world;
  spdlog::set_level(spdlog::level::warn);
  for (bool on_faster : {true, false}) {
    const std::vector<bool> m = run_calibration(world, on_faster, false);
    for (int i = 0; i < OverlapAuto::kWarmup; ++i) EXPECT_TRUE(m[i]) << i;  // warm-up with overlap
    for (int i = 0; i < 2 * OverlapAuto::kEach; ++i) EXPECT_EQ(m[OverlapAuto::kWarmup + i], i % 2 == 0) << i;
    for (size_t i = kDecide; i < m.size(); ++i) EXPECT_EQ(m[i], on_faster) << i;
  }
  // Overlap is faster on every rank but the last, where it is slowest: the slowest rank decides
  // (on one rank that rank is the only one).
  const std::vector<bool> m = run_calibration(world, true, true);
  EXPECT_FALSE(m.back());
  // Not enabled: the fixed mode, always.
  for (bool fixed : {true, false}) {
    OverlapAuto a(world, false, fixed);
    for (int i = 0; i < kDecide + 2; ++i) EXPECT_EQ(a.overlap(), fixed), a.step_done(1e-3);
  }
}

TEST(OverlapAuto, RunPicksLogsOnceAndGivesTheBitsOfOnAndOff) {
  const Comm world;
  const std::string file = test::synth_file(world, "overlap_auto");
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  spdlog::set_level(spdlog::level::info);
  auto run = [&](const std::string& overlap, const std::string& more = "") {  // the choice comes after step 21
    return train(
        test::make_config(file, "comm: {overlap: " + overlap + ", bucket_kb: 4}\ntrain: {max_steps: 30" + more + "}"),
        world, {"", false, true});
  };
  const TrainOutcome on = run("true");
  const TrainOutcome off = run("false");
  // train.deterministic sums exactly, without the overlap: auto has nothing to choose and says nothing.
  log.str("");
  const TrainOutcome exact_auto = run("auto", ", deterministic: true");
  const TrainOutcome exact_on = run("true", ", deterministic: true");
  EXPECT_EQ(log.str().find("comm.overlap: auto"), std::string::npos) << log.str();
  EXPECT_EQ(0, std::memcmp(exact_auto.params.data(), exact_on.params.data(), exact_on.params.size() * 4));
  log.str("");
  const TrainOutcome chosen = run("auto");
  spdlog::default_logger()->sinks().pop_back();
  spdlog::set_level(spdlog::level::warn);
  for (const TrainOutcome* o : {&on, &off}) {
    ASSERT_EQ(chosen.params.size(), o->params.size());
    EXPECT_EQ(0, std::memcmp(chosen.params.data(), o->params.data(), o->params.size() * 4));
    EXPECT_EQ(chosen.test.loss, o->test.loss);
  }
  if (world.rank() != 0) return;  // rank 0 logs the choice
  const std::string text = log.str();
  const std::regex line(
      R"(comm\.overlap: auto: overlap (on|off) \(median step [0-9.]+ ms with overlap, [0-9.]+ ms without: the slowest rank's, 8 steps each after 5 warm-up steps\))");
  const auto found = std::distance(std::sregex_iterator(text.begin(), text.end(), line), std::sregex_iterator());
  EXPECT_EQ(found, 1) << text;
}
