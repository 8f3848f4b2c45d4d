// MeanSquaredError: hand-computed values, finite-difference gradients in double, the 4-byte
// target slots of the data path, and PyTorch's MSELoss on the cases of tests/golden/loss_mse.txt
// (written by tests/tools/make_loss_golden.py).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "grad_check.hpp"
#include "layers/loss.hpp"

namespace dpt {
namespace {

TEST(MseLoss, HandComputedValueAndGradient) {
  auto loss = make_loss<double>("mse");
  EXPECT_EQ(loss->name(), "mse");
  EXPECT_TRUE(loss->regression());
  EXPECT_EQ(loss->target_slots(3), 3);
  EXPECT_EQ(make_loss<double>("cross_entropy")->target_slots(10), 1);
  // B = 2, C = 2; errors (2, -1) and (0, 3): per-sample losses 2.5 and 4.5.
  const double out[] = {2.0, 0.0, 1.0, 4.0};
  const float y[] = {0.0f, 1.0f, 1.0f, 1.0f};
  double d[4];
  const LossResult r = loss->compute(out, Targets{nullptr, y}, 2, 2, 0.5, d);
  EXPECT_DOUBLE_EQ(r.loss_sum, 7.0);  // / B = 3.5 = mean over the 4 squared errors (4+1+0+9)/4
  EXPECT_DOUBLE_EQ(r.abs_sum, 1.5 + 1.5);
  EXPECT_EQ(r.correct, 0);
  const double want[] = {2 * 2.0 / 2 * 0.5, 2 * -1.0 / 2 * 0.5, 0.0, 2 * 3.0 / 2 * 0.5};
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(d[i], want[i]) << i;
  // The same targets as the data path holds them: float32 bits in int32 slots.
  int32_t slots[4];
  std::memcpy(slots, y, sizeof slots);
  double d2[4];
  const LossResult r2 = loss->compute(out, Targets{slots}, 2, 2, 0.5, d2);
  EXPECT_EQ(r2.loss_sum, r.loss_sum);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(d2[i], d[i]) << i;
  EXPECT_EQ(loss->compute(out, Targets{slots}, 0, 2, 0.5, d2).loss_sum, 0.0);  // an empty slice
}

TEST(MseLoss, GradientMatchesFiniteDifferences) {
  for (const auto& [B, C] : {std::pair<int64_t, int64_t>{4, 1}, {3, 5}}) {
    SCOPED_TRACE(B * 10 + C);
    MeanSquaredError<double> loss;
    auto z = test::random_doubles(static_cast<size_t>(B * C), 31, -3, 3);
    std::vector<float> y(z.size());
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(std::sin(3.0 * static_cast<double>(i)));
    const double scale = 1.0 / static_cast<double>(B);
    std::vector<double> dz(z.size(), std::numeric_limits<double>::quiet_NaN());
    loss.compute(z.data(), Targets{nullptr, y.data()}, B, C, scale, dz.data());
    // The mean loss over the batch: grad_scale = 1 / B makes dz its gradient.
    test::expect_gradient_matches("dz", dz, z, [&] {
      return loss.compute(z.data(), Targets{nullptr, y.data()}, B, C, scale, nullptr).loss_sum * scale;
    });
  }
}

struct GoldenCase {
  std::string name;
  int64_t B = 0, C = 0;
  std::vector<double> out, target, grad;
  double loss = 0;
};

std::vector<double> numbers(std::istringstream& line) {
  std::vector<double> v;
  for (double x; line >> x;) v.push_back(x);
  return v;
}

std::vector<GoldenCase> read_golden(const std::string& path) {
  std::ifstream in(path);
  std::vector<GoldenCase> cases;
  for (std::string text; std::getline(in, text);) {
    std::istringstream line(text);
    std::string key;
    line >> key;
    if (key == "case") {
      cases.emplace_back();
      line >> cases.back().name >> cases.back().B >> cases.back().C;
    } else if (!cases.empty() && key == "out")
      cases.back().out = numbers(line);
    else if (!cases.empty() && key == "target")
      cases.back().target = numbers(line);
    else if (!cases.empty() && key == "grad")
      cases.back().grad = numbers(line);
    else if (!cases.empty() && key == "loss")
      line >> cases.back().loss;
  }
  return cases;
}

TEST(MseLoss, MatchesPyTorchGolden) {
  const auto cases = read_golden(std::string(DPTRAIN_GOLDEN_DIR) + "/loss_mse.txt");
  ASSERT_EQ(cases.size(), 3u) << "tests/golden/loss_mse.txt missing or malformed";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const size_t n = static_cast<size_t>(c.B * c.C);
    ASSERT_EQ(c.out.size(), n);
    ASSERT_EQ(c.target.size(), n);
    ASSERT_EQ(c.grad.size(), n);
    std::vector<float> y(c.target.begin(), c.target.end());  // exact: multiples of 1/64
    const double scale = 1.0 / static_cast<double>(c.B);
    std::vector<double> d(n);
    const LossResult r =
        MeanSquaredError<double>().compute(c.out.data(), Targets{nullptr, y.data()}, c.B, c.C, scale, d.data());
    EXPECT_NEAR(r.loss_sum / static_cast<double>(c.B), c.loss, 1e-12 * c.loss);
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(d[i], c.grad[i], 1e-12 * std::max(1.0, std::abs(c.grad[i]))) << i;
    // float32, as the trainer runs it.
    std::vector<float> outf(c.out.begin(), c.out.end()), df(n);
    const LossResult rf = MeanSquaredError<float>().compute(outf.data(), Targets{nullptr, y.data()}, c.B, c.C,
                                                            static_cast<float>(scale), df.data());
    EXPECT_NEAR(rf.loss_sum / static_cast<double>(c.B), c.loss, 1e-6 * c.loss);
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(df[i], c.grad[i], 1e-5 * std::max(1.0, std::abs(c.grad[i]))) << i;
  }
}

}  // namespace
}  // namespace dpt
