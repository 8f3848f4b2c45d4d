// Sgd::step against values computed by hand with PyTorch's torch.optim.SGD rules (dampening 0):
//   g = grad + wd * p;  v = momentum * v + g  (v = g on the first step);
//   p -= lr * (nesterov ? g + momentum * v : v)
// Three steps with lr 0.1, momentum 0.9 and gradients 1, 0.5, -1, starting from p = 1.
#include <gtest/gtest.h>

#include <algorithm>

#include "optim/sgd.hpp"

namespace dpt {
namespace {

constexpr int64_t kN = 70000;  // above the update kernel's grain (32768): the parallel path runs
constexpr float kGrads[3] = {1.0f, 0.5f, -1.0f};

struct Expected {
  float p, v;
};

// Runs three steps on a store of kN parameters, all starting at 1, and checks every element.
void check_three_steps(float momentum, float wd, bool nesterov, const Expected (&want)[3]) {
  SCOPED_TRACE(::testing::Message() << "momentum=" << momentum << " wd=" << wd << " nesterov=" << nesterov);
  ParamStore store;
  store.add("layers.0.weight", 0, {kN - 10, 1});
  store.add("layers.0.bias", 0, {10});
  store.finalize();
  std::fill(store.params(), store.params() + kN, 1.0f);
  Sgd sgd(kN, momentum, wd, nesterov);
  ASSERT_EQ(sgd.state().size(), static_cast<size_t>(kN));
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE(step + 1);
    std::fill(store.grads(), store.grads() + kN, kGrads[step]);
    sgd.step(store, 0.1f);
    const auto [pmin, pmax] = std::minmax_element(store.params(), store.params() + kN);
    EXPECT_NEAR(*pmin, want[step].p, 1e-6);
    EXPECT_NEAR(*pmax, want[step].p, 1e-6);
    const auto [vmin, vmax] = std::minmax_element(sgd.state().begin(), sgd.state().end());
    EXPECT_NEAR(*vmin, want[step].v, 1e-6);
    EXPECT_NEAR(*vmax, want[step].v, 1e-6);
  }
}

TEST(Sgd, MomentumMatchesPyTorch) {
  // v: 1, 0.9 + 0.5 = 1.4, 1.26 - 1 = 0.26;  p: 1 - 0.1, 0.9 - 0.14, 0.76 - 0.026
  check_three_steps(0.9f, 0.0f, false, {{0.9f, 1.0f}, {0.76f, 1.4f}, {0.734f, 0.26f}});
}

TEST(Sgd, NesterovMatchesPyTorch) {
  // p: 1 - 0.1 (1 + 0.9), 0.81 - 0.1 (0.5 + 1.26), 0.634 - 0.1 (-1 + 0.234)
  check_three_steps(0.9f, 0.0f, true, {{0.81f, 1.0f}, {0.634f, 1.4f}, {0.7106f, 0.26f}});
}

TEST(Sgd, WeightDecayMatchesPyTorch) {
  // g: 1 + 0.01, 0.5 + 0.00899, -1 + 0.00757201
  check_three_steps(0.9f, 0.01f, false, {{0.899f, 1.01f}, {0.757201f, 1.41799f}, {0.728824699f, 0.28376301f}});
}

TEST(Sgd, NesterovWithWeightDecayMatchesPyTorch) {
  check_three_steps(0.9f, 0.01f, true, {{0.8081f, 1.01f}, {0.62975461f, 1.417081f}, {0.703774515f, 0.2816704461f}});
}

TEST(Sgd, WithoutMomentumIsPlainGradientDescent) {
  // p -= 0.1 (g + 0.01 p): 0.899, 0.848101, 0.947252899; no momentum state is used.
  check_three_steps(0.0f, 0.01f, false, {{0.899f, 0.0f}, {0.848101f, 0.0f}, {0.947252899f, 0.0f}});
}

TEST(Sgd, ElementsAreUpdatedIndependently) {
  ParamStore store;
  store.add("w", 0, {3});
  store.finalize();
  const float p0[] = {1.0f, -2.0f, 0.0f}, g[] = {0.5f, 0.25f, 0.0f};
  std::copy(std::begin(p0), std::end(p0), store.params());
  std::copy(std::begin(g), std::end(g), store.grads());
  Sgd sgd(3, 0.9f, 0.0f, false);
  sgd.step(store, 0.2f);
  EXPECT_FLOAT_EQ(store.params()[0], 0.9f);
  EXPECT_FLOAT_EQ(store.params()[1], -2.05f);
  EXPECT_FLOAT_EQ(store.params()[2], 0.0f);
  // A zero learning rate leaves the parameters but still updates the velocity.
  sgd.step(store, 0.0f);
  EXPECT_FLOAT_EQ(store.params()[0], 0.9f);
  EXPECT_FLOAT_EQ(sgd.state()[0], 0.95f);  // 0.9 * 0.5 + 0.5
}

}  // namespace
}  // namespace dpt
