// The Optimizer interface and make_optimizer(): the optimizer each name builds, its state layout,
// and every settings error, whose message must name the field and the value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "optim/optimizer.hpp"

namespace dpt {
namespace {

// f() must throw dpt::Error whose message contains every one of `parts`.
void expect_error(const std::function<void()>& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one with '" << *parts.begin() << "'";
  } catch (const Error& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

OptimizerSettings named(const std::string& name) {
  OptimizerSettings s;
  s.name = name;
  return s;
}

TEST(MakeOptimizer, BuildsEachOptimizerWithItsStateLayout) {
  struct Want {
    const char* name;
    int slots;
    std::vector<std::string> slot_names;
  };
  for (const Want& w : {Want{"sgd", 1, {"momentum_buffer"}}, Want{"adam", 2, {"exp_avg", "exp_avg_sq"}},
                        Want{"adamw", 2, {"exp_avg", "exp_avg_sq"}}}) {
    auto opt = make_optimizer(named(w.name), 10);
    EXPECT_EQ(opt->name(), w.name);
    EXPECT_EQ(opt->n_params(), 10);
    EXPECT_EQ(opt->slots(), w.slots);
    EXPECT_EQ(opt->slot_names(), w.slot_names);
    EXPECT_EQ(opt->state_size(), 10 * w.slots);
    EXPECT_EQ(static_cast<int64_t>(opt->state().size()), 10 * w.slots);
    EXPECT_EQ(opt->steps(), 0);
    for (float x : opt->state()) EXPECT_EQ(x, 0.0f);
    for (int k = 0; k < w.slots; ++k) EXPECT_EQ(opt->slot(k).data(), opt->state().data() + 10 * k);
  }
  EXPECT_EQ(make_optimizer(named("adam"), 0)->state_size(), 0);
}

TEST(MakeOptimizer, SgdStateLayoutDoesNotDependOnMomentum) {
  OptimizerSettings s;
  s.momentum = 0;
  EXPECT_EQ(make_optimizer(s, 7)->state_size(), 7);
}

TEST(MakeOptimizer, DefaultsAndBoundaryValuesAreAccepted) {
  for (const char* name : {"sgd", "adam", "adamw"}) EXPECT_NO_THROW(make_optimizer(named(name), 1)) << name;
  OptimizerSettings s = named("adam");
  s.beta1 = 0, s.beta2 = 0, s.eps = 1e-30, s.weight_decay = 0;
  EXPECT_NO_THROW(make_optimizer(s, 1));
  s = named("sgd");
  s.momentum = 1, s.nesterov = true;
  EXPECT_NO_THROW(make_optimizer(s, 1));
  s.momentum = 0, s.nesterov = false;
  EXPECT_NO_THROW(make_optimizer(s, 1));
  // adam ignores the SGD momentum (its config default is 0.9).
  s = named("adamw");
  s.momentum = 5;
  EXPECT_NO_THROW(make_optimizer(s, 1));
}

TEST(MakeOptimizer, RejectsBadSettingsNamingFieldAndValue) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto with = [](const std::string& name, const std::function<void(OptimizerSettings&)>& set) {
    OptimizerSettings s = named(name);
    set(s);
    return [s] { make_optimizer(s, 4); };
  };
  expect_error(with("lamb", [](auto&) {}), {"optimizer.name = 'lamb'", "sgd, adam or adamw"});
  expect_error(with("", [](auto&) {}), {"optimizer.name = ''"});
  expect_error(with("Adam", [](auto&) {}), {"optimizer.name = 'Adam'"});
  for (const char* name : {"adam", "adamw"}) {
    expect_error(with(name, [](auto& s) { s.beta1 = 1; }), {"optimizer.beta1 = 1", "[0, 1)"});
    expect_error(with(name, [](auto& s) { s.beta1 = -0.1; }), {"optimizer.beta1 = -0.1", "[0, 1)"});
    expect_error(with(name, [&](auto& s) { s.beta1 = nan; }), {"optimizer.beta1 = nan"});
    expect_error(with(name, [](auto& s) { s.beta2 = 1; }), {"optimizer.beta2 = 1", "[0, 1)"});
    expect_error(with(name, [](auto& s) { s.beta2 = 1.5; }), {"optimizer.beta2 = 1.5"});
    expect_error(with(name, [](auto& s) { s.eps = 0; }), {"optimizer.eps = 0", "> 0"});
    expect_error(with(name, [](auto& s) { s.eps = -1e-8; }), {"optimizer.eps = -1e-08"});
    expect_error(with(name, [](auto& s) { s.weight_decay = -0.01; }), {"optimizer.weight_decay = -0.01", ">= 0"});
    expect_error(with(name, [](auto& s) { s.nesterov = true; }), {"optimizer.nesterov = true", "only sgd"});
  }
  expect_error(with("sgd", [](auto& s) { s.momentum = 1.5; }), {"optimizer.momentum = 1.5", "[0, 1]"});
  expect_error(with("sgd", [](auto& s) { s.momentum = -0.5; }), {"optimizer.momentum = -0.5"});
  expect_error(with("sgd", [&](auto& s) { s.weight_decay = nan; }), {"optimizer.weight_decay = nan"});
  expect_error(with("sgd", [](auto& s) { s.momentum = 0, s.nesterov = true; }),
               {"optimizer.nesterov = true", "optimizer.momentum > 0"});
  expect_error([] { make_optimizer(named("sgd"), -1); }, {"n_params = -1"});
}

TEST(Optimizer, StepRejectsAStoreOfAnotherSizeAndABadLearningRate) {
  ParamStore store;
  store.add("w", 0, {5});
  store.finalize();
  auto opt = make_optimizer(named("adam"), 4);
  expect_error([&] { opt->step(store, 0.1f); }, {"adam optimizer", "holds 5 parameters", "made for 4"});
  auto ok = make_optimizer(named("sgd"), 5);
  expect_error([&] { ok->step(store, -0.1f); }, {"lr = -0.1"});
  expect_error([&] { ok->step(store, std::numeric_limits<float>::quiet_NaN()); }, {"lr = nan"});
  expect_error([&] { ok->step(store, std::numeric_limits<float>::infinity()); }, {"lr = inf"});
  EXPECT_EQ(ok->steps(), 0);  // a rejected step is not counted
  ok->step(store, 0.1f);
  EXPECT_EQ(ok->steps(), 1);
}

TEST(Optimizer, LoadStateChecksSizeAndStepCount) {
  auto opt = make_optimizer(named("adamw"), 3);
  const std::vector<float> state = {1, 2, 3, 4, 5, 6};
  opt->load_state(state, 42);
  EXPECT_EQ(opt->steps(), 42);
  EXPECT_TRUE(std::ranges::equal(opt->state(), state));
  EXPECT_EQ(opt->slot(1)[0], 4.0f);
  expect_error([&] { opt->load_state(std::vector<float>(5), 1); },
               {"5 values", "expected 6", "2 slots x 3 parameters"});
  expect_error([&] { opt->load_state(state, -1); }, {"step count = -1"});
  expect_error([&] { opt->set_steps(-3); }, {"step count = -3"});
  expect_error([&] { opt->slot(2); }, {"slot 2", "2 slots"});
  expect_error([&] { std::as_const(*opt).slot(-1); }, {"slot -1"});
  EXPECT_EQ(opt->steps(), 42);  // failed loads change nothing
}

}  // namespace
}  // namespace dpt
