// LrSchedule::at() at chosen steps for every schedule, with and without linear warmup, its field
// validation, and the linear scaling rule. Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "optim/schedule.hpp"

namespace dpt {
namespace {

constexpr double kTol = 1e-12;

LrSchedule make(const std::string& name, double base_lr, int64_t warmup = 0, double start_factor = 0) {
  LrSchedule s;
  s.name = name;
  s.base_lr = base_lr;
  s.warmup_steps = warmup;
  s.warmup_start_factor = start_factor;
  return s;
}

void expect_at(const LrSchedule& s, std::initializer_list<std::pair<int64_t, double>> want) {
  for (const auto& [step, lr] : want) EXPECT_NEAR(s.at(step), lr, kTol) << s.name << " at step " << step;
}

TEST(LrSchedule, ConstantIsTheBaseRate) {
  expect_at(make("constant", 0.05), {{0, 0.05}, {1, 0.05}, {1000000, 0.05}});
  expect_at(LrSchedule{}, {{0, 0.05}});  // the defaults
}

TEST(LrSchedule, WarmupRisesLinearlyFromZeroThenHolds) {
  // 4 warmup steps from 0: 0, 0.25, 0.5, 0.75 of 0.2, then 0.2.
  expect_at(make("constant", 0.2, 4), {{0, 0.0}, {1, 0.05}, {2, 0.1}, {3, 0.15}, {4, 0.2}, {50, 0.2}});
}

TEST(LrSchedule, WarmupStartFactor) {
  // From 0.1 * 0.2 = 0.02 to 0.2 over 4 steps: 0.02 + 0.18 * k / 4.
  expect_at(make("constant", 0.2, 4, 0.1), {{0, 0.02}, {1, 0.065}, {2, 0.11}, {3, 0.155}, {4, 0.2}});
  expect_at(make("constant", 0.2, 4, 1.0), {{0, 0.2}, {3, 0.2}});  // factor 1: no warmup in effect
  expect_at(make("constant", 0.2, 1, 0.5), {{0, 0.1}, {1, 0.2}});
}

TEST(LrSchedule, StepMultipliesByGammaEveryStepSize) {
  LrSchedule s = make("step", 0.1);
  s.gamma = 0.5, s.step_size = 3;
  expect_at(s, {{0, 0.1}, {2, 0.1}, {3, 0.05}, {5, 0.05}, {6, 0.025}, {30, 0.1 / 1024}});
  s.step_size = 1;
  expect_at(s, {{0, 0.1}, {1, 0.05}, {2, 0.025}});
}

TEST(LrSchedule, StepAfterWarmupCountsFromTheEndOfWarmup) {
  LrSchedule s = make("step", 0.1, 2);
  s.gamma = 0.5, s.step_size = 3;
  // warmup 0, 0.05; decay steps d = step - 2: 0.1 for d < 3, 0.05 for d in [3, 6), ...
  expect_at(s, {{0, 0.0}, {1, 0.05}, {2, 0.1}, {4, 0.1}, {5, 0.05}, {7, 0.05}, {8, 0.025}});
}

TEST(LrSchedule, ExponentialDecaysByGammaPerOptimizerStep) {
  LrSchedule s = make("exponential", 0.1);
  s.gamma = 0.9;
  expect_at(s, {{0, 0.1}, {1, 0.09}, {2, 0.081}, {10, 0.1 * std::pow(0.9, 10)}});
  s.gamma = 1;
  expect_at(s, {{0, 0.1}, {1000, 0.1}});
  s = make("exponential", 0.1, 3, 0.5);
  s.gamma = 0.9;
  // warmup 0.05, 0.0666.., 0.0833..; then 0.1 * 0.9^(step - 3)
  expect_at(s, {{0, 0.05}, {1, 0.1 * (0.5 + 0.5 / 3)}, {3, 0.1}, {4, 0.09}, {5, 0.081}});
}

TEST(LrSchedule, CosineGoesFromBaseToMinAtTheLastStep) {
  LrSchedule s = make("cosine", 1.0);
  s.min_lr = 0.1, s.total_steps = 11;  // steps 0..10; t = step / 10
  // min + 0.45 (1 + cos(pi t)): t = 0.5 -> 0.55; t = 0.25 -> 0.1 + 0.45 (1 + 0.7071..)
  expect_at(s, {{0, 1.0}, {5, 0.55}, {10, 0.1}, {11, 0.1}, {1000, 0.1}});
  EXPECT_NEAR(s.at(2), 0.1 + 0.45 * (1 + std::cos(M_PI * 0.2)), kTol);
  for (int64_t k = 1; k <= 10; ++k) EXPECT_LT(s.at(k), s.at(k - 1)) << k;
  s.total_steps = 1;  // a one-step run: the base rate
  expect_at(s, {{0, 1.0}});
}

TEST(LrSchedule, CosineWithoutWarmupKeepsTheEarlierFormula) {
  // The formula the trainer used before warmup existed: t = step / max(total - 1, 1).
  LrSchedule s = make("cosine", 0.05);
  s.min_lr = 0.001, s.total_steps = 937;
  for (int64_t k = 0; k < 1000; k += 7) {
    const double t = std::clamp(k / 936.0, 0.0, 1.0);
    EXPECT_DOUBLE_EQ(s.at(k), 0.001 + 0.5 * (0.05 - 0.001) * (1 + std::cos(M_PI * t))) << k;
  }
}

TEST(LrSchedule, CosineAfterWarmupSpansTheRemainingSteps) {
  LrSchedule s = make("cosine", 1.0, 4);
  s.min_lr = 0, s.total_steps = 13;  // warmup 0..3, decay steps 4..12 (9 steps, d / 8)
  expect_at(s, {{0, 0.0}, {2, 0.5}, {4, 1.0}, {8, 0.5}, {6, 0.5 * (1 + std::cos(M_PI / 4))}, {12, 0.0}, {13, 0.0}});
  s.total_steps = 4;  // the run ends inside or at the end of warmup: min_lr afterwards
  expect_at(s, {{3, 0.75}, {4, 1.0}, {5, 0.0}});
}

TEST(LrSchedule, IsAPureFunctionOfTheStep) {
  LrSchedule s = make("cosine", 0.3, 5, 0.1);
  s.total_steps = 50, s.min_lr = 0.01;
  std::vector<double> forward;
  for (int64_t k = 0; k < 60; ++k) forward.push_back(s.at(k));
  for (int64_t k = 59; k >= 0; --k) EXPECT_EQ(s.at(k), forward[static_cast<size_t>(k)]);
  const LrSchedule copy = s;
  EXPECT_EQ(copy.at(17), forward[17]);
}

void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected '" << part << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(LrSchedule, RejectsBadFieldsNamingFieldAndValue) {
  auto with = [](const std::string& name, const std::function<void(LrSchedule&)>& set) {
    LrSchedule s = make(name, 0.1);
    set(s);
    return [s] { s.at(0); };
  };
  expect_error(with("linear", [](auto&) {}), "schedule.name = 'linear': must be constant, step, exponential or cosine");
  expect_error(with("step", [](auto& s) { s.step_size = 0; }), "schedule.step_size = 0: must be >= 1");
  expect_error(with("step", [](auto& s) { s.gamma = 0; }), "schedule.gamma = 0: must be in (0, 1]");
  expect_error(with("exponential", [](auto& s) { s.gamma = 1.5; }), "schedule.gamma = 1.5");
  expect_error(with("exponential", [](auto& s) { s.gamma = std::nan(""); }), "schedule.gamma = nan");
  expect_error(with("cosine", [](auto& s) { s.min_lr = -1; }), "schedule.min_lr = -1: must be finite and >= 0");
  expect_error(with("cosine", [](auto& s) { s.total_steps = 0; }), "schedule.total_steps = 0: must be >= 1");
  expect_error(with("constant", [](auto& s) { s.warmup_steps = -2; }), "schedule.warmup_steps = -2: must be >= 0");
  expect_error(with("constant", [](auto& s) { s.warmup_start_factor = 1.5; }),
               "schedule.warmup_start_factor = 1.5: must be in [0, 1]");
  expect_error(with("constant", [](auto& s) { s.base_lr = -0.1; }), "schedule.base_lr = -0.1");
  expect_error(with("constant", [](auto& s) { s.base_lr = std::numeric_limits<double>::infinity(); }),
               "schedule.base_lr = inf");
  expect_error([] { make("constant", 0.1).at(-1); }, "step = -1, must be >= 0");
  // Fields another schedule uses are not checked.
  LrSchedule s = make("constant", 0.1);
  s.gamma = 0, s.step_size = 0, s.total_steps = 0, s.min_lr = -1;
  EXPECT_NO_THROW(s.validate());
}

TEST(LinearScaling, ScalesByGlobalOverReferenceBatch) {
  EXPECT_DOUBLE_EQ(linear_scaled_lr(0.1, 512, 256), 0.2);
  EXPECT_DOUBLE_EQ(linear_scaled_lr(0.1, 256, 256), 0.1);
  EXPECT_DOUBLE_EQ(linear_scaled_lr(0.1, 32, 256), 0.0125);
  EXPECT_DOUBLE_EQ(linear_scaled_lr(0.05, 128 * 4, 128), 0.2);
  expect_error([] { linear_scaled_lr(0.1, 0, 256); }, "global_batch = 0, must be >= 1");
  expect_error([] { linear_scaled_lr(0.1, 128, -1); }, "reference_batch = -1, must be >= 1");
}

}  // namespace
}  // namespace dpt
