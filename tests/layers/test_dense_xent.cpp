// Cross-entropy over class maps (SoftmaxCrossEntropy with LossOptions::positions > 1, kernels in
// kernels/dense_xent): hand-worked values, the optimized kernel against its reference twin,
// finite-difference gradients in double, the ignored label, and PyTorch's CrossEntropyLoss on the
// cases of tests/golden/loss_xent_dense.txt (written by tests/tools/make_dense_loss_golden.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "grad_check.hpp"
#include "kernels/dense_xent.hpp"
#include "layers/loss.hpp"

namespace dpt {
namespace {

LossOptions positions(int64_t S, bool has_ignore = false, int64_t ignore = 0) {
  LossOptions o;
  o.positions = S, o.has_ignore = has_ignore, o.ignore_index = ignore;
  return o;
}

TEST(DenseXent, HandWorkedValues) {
  // B = 1, K = 2, S = 2: position 0 has equal logits (p = 1/2), position 1 logits (0, ln 3)
  // (p = 1/4, 3/4). Labels (1, 0): losses ln 2 and ln 4; per-sample loss (ln 2 + ln 4) / 2.
  const double z[] = {0.0, 0.0, 0.0, std::log(3.0)};  // (K, S): channel 0 then channel 1
  const int32_t y[] = {1, 0};
  double dz[4];
  SoftmaxCrossEntropy<double> loss(positions(2));
  EXPECT_EQ(loss.target_slots(4), 2);
  const LossResult r = loss.compute(z, Targets{y}, 1, 4, 1.0, dz);
  EXPECT_NEAR(r.loss_sum, (std::log(2.0) + std::log(4.0)) / 2, 1e-15);
  EXPECT_EQ(r.counted, 2);
  EXPECT_EQ(r.correct, 0);  // position 0: arg-max 0 (first on ties); position 1: arg-max 1
  // dz = (p - onehot) / S.
  const double want[] = {0.5 / 2, (0.25 - 1) / 2, -0.5 / 2, 0.75 / 2};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(dz[i], want[i], 1e-15) << i;
  // Ignoring label 0: position 1 adds nothing and gets no gradient; the divisor stays S = 2.
  SoftmaxCrossEntropy<double> ign(positions(2, true, 0));
  const LossResult ri = ign.compute(z, Targets{y}, 1, 4, 1.0, dz);
  EXPECT_NEAR(ri.loss_sum, std::log(2.0) / 2, 1e-15);
  EXPECT_EQ(ri.counted, 1);
  EXPECT_EQ(dz[1], 0.0);
  EXPECT_EQ(dz[3], 0.0);
  EXPECT_NEAR(dz[0], 0.25, 1e-15);
}

TEST(DenseXent, OptimizedMatchesReference) {
  struct Case {
    int64_t B, K, S;
    bool ignore;
  };
  for (const Case c : {Case{3, 4, 70, false}, Case{5, 2, 129, true}, Case{1, 7, 1, true}, Case{17, 3, 64, true}}) {
    SCOPED_TRACE(c.B * 1000 + c.K * 10 + c.S);
    const size_t n = static_cast<size_t>(c.B * c.K * c.S);
    const auto zd = test::random_doubles(n, 7, -4, 4);
    std::vector<float> z(zd.begin(), zd.end());
    std::vector<int32_t> y(static_cast<size_t>(c.B * c.S));
    for (size_t i = 0; i < y.size(); ++i) y[i] = c.ignore && i % 5 == 2 ? -1 : static_cast<int32_t>((i * 7) % c.K);
    std::vector<float> d1(n, NAN), d2(n, NAN);
    const float g = 1.0f / static_cast<float>(c.B);
    const auto a = kern::softmax_xent_dense(z.data(), y.data(), c.B, c.K, c.S, c.ignore, -1, g, d1.data());
    const auto b = kern::ref::softmax_xent_dense(z.data(), y.data(), c.B, c.K, c.S, c.ignore, -1, g, d2.data());
    EXPECT_NEAR(a.loss_sum, b.loss_sum, 1e-9 * std::max(1.0, b.loss_sum));
    EXPECT_EQ(a.correct, b.correct);
    EXPECT_EQ(a.counted, b.counted);
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(d1[i], d2[i], 1e-6) << i;
    // Without the gradient: the same loss bits.
    EXPECT_EQ(kern::softmax_xent_dense(z.data(), y.data(), c.B, c.K, c.S, c.ignore, -1, g, (float*)nullptr).loss_sum,
              a.loss_sum);
    std::vector<int32_t> arg1(y.size()), arg2(y.size());
    std::vector<float> p1(n), p2(n);
    kern::softmax_channels(z.data(), c.B, c.K, c.S, p1.data(), arg1.data());
    kern::ref::softmax_channels(z.data(), c.B, c.K, c.S, p2.data(), arg2.data());
    EXPECT_EQ(arg1, arg2);
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(p1[i], p2[i], 1e-6) << i;
  }
}

TEST(DenseXent, GradientMatchesFiniteDifferences) {
  for (const bool ignore : {false, true}) {
    SCOPED_TRACE(ignore);
    const int64_t B = 2, K = 3, S = 5;
    SoftmaxCrossEntropy<double> loss(positions(S, ignore, 2));
    auto z = test::random_doubles(static_cast<size_t>(B * K * S), 11, -2, 2);
    const std::vector<int32_t> y = {0, 1, 2, 1, 0, 2, 2, 1, 0, 1};
    const double scale = 1.0 / static_cast<double>(B);
    std::vector<double> dz(z.size(), std::numeric_limits<double>::quiet_NaN());
    loss.compute(z.data(), Targets{y.data()}, B, K * S, scale, dz.data());
    test::expect_gradient_matches("dz", dz, z, [&] {
      return loss.compute(z.data(), Targets{y.data()}, B, K * S, scale, nullptr).loss_sum * scale;
    });
  }
}

struct GoldenCase {
  std::string name, ignore;
  int64_t B = 0, K = 0, S = 0;
  std::vector<double> out, grad;
  std::vector<int32_t> label;
  double loss = 0, torch_mean = 0;
};

std::vector<GoldenCase> read_golden(const std::string& path) {
  std::ifstream in(path);
  std::vector<GoldenCase> cases;
  for (std::string text; std::getline(in, text);) {
    std::istringstream line(text);
    std::string key;
    line >> key;
    if (key == "case") {
      cases.emplace_back();
      auto& c = cases.back();
      line >> c.name >> c.B >> c.K >> c.S >> c.ignore;
    } else if (!cases.empty() && (key == "out" || key == "grad")) {
      auto& v = key == "out" ? cases.back().out : cases.back().grad;
      for (double x; line >> x;) v.push_back(x);
    } else if (!cases.empty() && key == "label") {
      for (int32_t x; line >> x;) cases.back().label.push_back(x);
    } else if (!cases.empty() && key == "loss") {
      line >> cases.back().loss;
    } else if (!cases.empty() && key == "torch_mean") {
      line >> cases.back().torch_mean;
    }
  }
  return cases;
}

TEST(DenseXent, MatchesPyTorchGolden) {
  const auto cases = read_golden(std::string(DPTRAIN_GOLDEN_DIR) + "/loss_xent_dense.txt");
  ASSERT_EQ(cases.size(), 4u) << "tests/golden/loss_xent_dense.txt missing or malformed";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const size_t n = static_cast<size_t>(c.B * c.K * c.S);
    ASSERT_EQ(c.out.size(), n);
    ASSERT_EQ(c.grad.size(), n);
    ASSERT_EQ(c.label.size(), static_cast<size_t>(c.B * c.S));
    const bool has_ignore = c.ignore != "none";
    const LossOptions o = positions(c.S, has_ignore, has_ignore ? std::stoll(c.ignore) : 0);
    const double scale = 1.0 / static_cast<double>(c.B);
    std::vector<double> d(n);
    const LossResult r =
        SoftmaxCrossEntropy<double>(o).compute(c.out.data(), Targets{c.label.data()}, c.B, c.K * c.S, scale, d.data());
    EXPECT_NEAR(r.loss_sum * scale, c.loss, 1e-12 * c.loss);
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(d[i], c.grad[i], 1e-12) << i;
    // The documented relation to torch's 'mean': ours x (B x S) / counted.
    EXPECT_NEAR(r.loss_sum * scale * static_cast<double>(c.B * c.S) / static_cast<double>(r.counted), c.torch_mean,
                1e-12 * c.torch_mean);
    if (!has_ignore) {
      EXPECT_NEAR(r.loss_sum * scale, c.torch_mean, 1e-12 * c.torch_mean);
    }
    std::vector<float> outf(c.out.begin(), c.out.end()), df(n);
    const LossResult rf = SoftmaxCrossEntropy<float>(o).compute(outf.data(), Targets{c.label.data()}, c.B, c.K * c.S,
                                                                static_cast<float>(scale), df.data());
    EXPECT_NEAR(rf.loss_sum * scale, c.loss, 1e-6 * c.loss);
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(df[i], c.grad[i], 1e-6) << i;
  }
}

TEST(DenseXent, OnePositionWithoutIgnoreIsTheClassificationKernel) {
  const auto zd = test::random_doubles(40, 3, -3, 3);
  std::vector<float> z(zd.begin(), zd.end()), d1(40), d2(40);
  const std::vector<int32_t> y = {0, 1, 2, 3, 4, 0, 1, 2};
  const LossResult a = make_loss<float>("cross_entropy")->compute(z.data(), Targets{y.data()}, 8, 5, 0.125f, d1.data());
  const auto b = kern::softmax_xent(z.data(), y.data(), 8, 5, 0.125f, d2.data());
  EXPECT_EQ(a.loss_sum, b.loss_sum);
  EXPECT_EQ(a.counted, 8);
  EXPECT_EQ(d1, d2);
}

}  // namespace
}  // namespace dpt
