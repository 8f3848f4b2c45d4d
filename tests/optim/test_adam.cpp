// Adam and AdamW through the Optimizer interface against hand-derived values and a double-precision
// textbook twin of the update (the formula as written in the papers / the issue, not PyTorch's
// rearrangement):
//   g = dp + wd p (Adam) | p *= 1 - lr wd (AdamW);  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "optim/adam.hpp"

namespace dpt {
namespace {

struct Textbook {  // one parameter, in double
  double p, m = 0, v = 0;
  int64_t t = 0;
  void step(double g, double lr, const AdamHyper& h, bool decoupled) {
    ++t;
    if (decoupled)
      p *= 1 - lr * h.weight_decay;
    else
      g += h.weight_decay * p;
    m = h.beta1 * m + (1 - h.beta1) * g;
    v = h.beta2 * v + (1 - h.beta2) * g * g;
    const double mhat = m / (1 - std::pow(h.beta1, static_cast<double>(t)));
    const double vhat = v / (1 - std::pow(h.beta2, static_cast<double>(t)));
    p -= lr * mhat / (std::sqrt(vhat) + h.eps);
  }
};

ParamStore store_of(const std::vector<float>& p) {
  ParamStore s;
  s.add("w", 0, {static_cast<int64_t>(p.size())});
  s.finalize();
  std::copy(p.begin(), p.end(), s.params());
  return s;
}

// The first Adam step is m = (1 - b1) g, v = (1 - b2) g^2, so mhat = g, vhat = g^2 and each
// parameter moves by lr * g / (|g| + eps), i.e. ~lr * sign(g) whatever the gradient's size.
TEST(Adam, FirstStepMovesEachParameterByLrTimesSignOfGradient) {
  constexpr int64_t n = 70000;  // above the kernel grain: the parallel path runs
  const float g_cycle[] = {1.0f, -1.0f, 3e-3f, -250.0f, 1e-4f, 0.0f};
  std::vector<float> p0(n, 0.5f);
  ParamStore store = store_of(p0);
  for (int64_t i = 0; i < n; ++i) store.grads()[i] = g_cycle[i % 6];
  const double lr = 1e-3, eps = 1e-8;
  Adam adam(n, {0.9, 0.999, eps, 0.0});
  adam.step(store, static_cast<float>(lr));
  EXPECT_EQ(adam.steps(), 1);
  for (int64_t i = 0; i < n; ++i) {
    const double g = g_cycle[i % 6];
    const double want = 0.5 - lr * g / (std::fabs(g) + eps);
    ASSERT_NEAR(store.params()[i], want, 1e-7) << "i=" << i << " g=" << g;
    ASSERT_LE(std::fabs(store.params()[i] - 0.5), lr * (1 + 1e-6));
    ASSERT_NEAR(adam.slot(0)[static_cast<size_t>(i)], 0.1 * g, 1e-7 * std::fabs(g) + 1e-12);         // exp_avg
    ASSERT_NEAR(adam.slot(1)[static_cast<size_t>(i)], 0.001 * g * g, 1e-6 * 0.001 * g * g + 1e-20);  // exp_avg_sq
  }
  EXPECT_FLOAT_EQ(store.params()[5], 0.5f);  // zero gradient: no move
  EXPECT_FLOAT_EQ(store.params()[0], 0.499f);
  EXPECT_FLOAT_EQ(store.params()[1], 0.501f);
}

// Runs `steps` updates of one Adam/AdamW parameter against the textbook twin.
void check_against_textbook(bool decoupled, const AdamHyper& h, const std::vector<double>& grads,
                            const std::vector<double>& lrs, int64_t start_t = 0) {
  SCOPED_TRACE(::testing::Message() << (decoupled ? "adamw" : "adam") << " wd=" << h.weight_decay
                                    << " start_t=" << start_t);
  ParamStore store = store_of({1.0f});
  std::unique_ptr<Optimizer> opt = decoupled ? std::make_unique<AdamW>(1, h) : std::make_unique<Adam>(1, h);
  opt->set_steps(start_t);
  Textbook tb{1.0};
  tb.t = start_t;
  for (size_t k = 0; k < grads.size(); ++k) {
    store.grads()[0] = static_cast<float>(grads[k]);
    opt->step(store, static_cast<float>(lrs[k]));
    tb.step(grads[k], static_cast<float>(lrs[k]), h, decoupled);
    EXPECT_NEAR(store.params()[0], tb.p, 1e-6 * std::fabs(tb.p)) << "step " << k + 1;
    EXPECT_NEAR(opt->slot(0)[0], tb.m, 1e-6 * std::fabs(tb.m)) << "step " << k + 1;
    EXPECT_NEAR(opt->slot(1)[0], tb.v, 1e-6 * std::fabs(tb.v)) << "step " << k + 1;
  }
}

TEST(Adam, MatchesTextbookFormulaWithL2WeightDecay) {
  check_against_textbook(false, {0.9, 0.999, 1e-8, 0.1}, {0.5, -0.2, 0.05, 1.5}, {0.01, 0.01, 0.005, 0.002});
  check_against_textbook(false, {0.5, 0.9, 1e-3, 0.0}, {2.0, 2.0, -1.0}, {0.1, 0.1, 0.1});
}

TEST(AdamW, MatchesTextbookFormulaWithDecoupledWeightDecay) {
  check_against_textbook(true, {0.9, 0.999, 1e-8, 0.1}, {0.5, -0.2, 0.05, 1.5}, {0.01, 0.01, 0.005, 0.002});
  check_against_textbook(true, {0.8, 0.99, 1e-6, 0.5}, {0.0, 0.3, -0.3}, {0.1, 0.2, 0.1});
}

// The bias correction uses steps(): an optimizer restored at step 999 applies update 1000
// (1 - 0.999^1000 = 0.632), which differs from a first update.
TEST(Adam, BiasCorrectionUsesTheRestoredStepCount) {
  check_against_textbook(false, {0.9, 0.999, 1e-8, 0.0}, {0.5, -0.25}, {0.01, 0.01}, 999);
  check_against_textbook(true, {0.9, 0.999, 1e-8, 0.01}, {0.5, -0.25}, {0.01, 0.01}, 999);
  ParamStore store = store_of({1.0f});
  store.grads()[0] = 0.5f;
  Adam adam(1, {});
  adam.set_steps(999);
  adam.step(store, 0.01f);
  EXPECT_EQ(adam.steps(), 1000);
  // m = 0.05, v = 2.5e-4 with no correction of m (0.9^1000 ~ 0): p -= 0.01 * 0.05 / sqrt(2.5e-4 / 0.6323)
  EXPECT_NEAR(store.params()[0], 1.0 - 0.01 * 0.05 / std::sqrt(2.5e-4 / (1 - std::pow(0.999, 1000))), 1e-6);
}

TEST(Adam, StateIsOneFlatBufferExpAvgThenExpAvgSq) {
  ParamStore store = store_of({1.0f, 2.0f, 3.0f});
  const float g[] = {1.0f, -2.0f, 0.5f};
  std::copy(std::begin(g), std::end(g), store.grads());
  AdamW adamw(3, {0.9, 0.99, 1e-8, 0.01});
  EXPECT_EQ(adamw.name(), "adamw");
  EXPECT_EQ(adamw.slots(), 2);
  EXPECT_EQ(adamw.state_size(), 6);
  EXPECT_EQ(adamw.slot_names(), (std::vector<std::string>{"exp_avg", "exp_avg_sq"}));
  adamw.step(store, 0.1f);
  const auto s = adamw.state();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(s[static_cast<size_t>(i)], 0.1f * g[i]);              // exp_avg (decay does not touch g)
    EXPECT_FLOAT_EQ(s[static_cast<size_t>(3 + i)], 0.01f * g[i] * g[i]);  // exp_avg_sq
    EXPECT_EQ(&adamw.slot(1)[static_cast<size_t>(i)], &s[static_cast<size_t>(3 + i)]);
  }
}

TEST(Adam, ZeroLearningRateStillAdvancesTheMomentsAndTheStepCount) {
  ParamStore store = store_of({1.0f});
  store.grads()[0] = 2.0f;
  AdamW adamw(1, {0.9, 0.999, 1e-8, 0.1});
  adamw.step(store, 0.0f);
  EXPECT_EQ(store.params()[0], 1.0f);  // neither the decay nor the update moves it
  EXPECT_EQ(adamw.steps(), 1);
  EXPECT_FLOAT_EQ(adamw.slot(0)[0], 0.2f);
}

}  // namespace
}  // namespace dpt
