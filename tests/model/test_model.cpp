// Model: construction from the YAML layer list, the flat ParamStore layout, deterministic init,
// and forward / backward of the whole network against manually chained layers and finite differences.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "layers/activation.hpp"
#include "layers/dense.hpp"
#include "model/model.hpp"

namespace dpt {
namespace {

const char* kMlp =
    "[{type: dense, units: 512}, {type: relu}, {type: dense, units: 256}, {type: relu}, {type: dense, units: 10}]";
// Tiny: (2, 3) -> dense 5 -> relu -> dense 4 (no bias)
const char* kTiny = "[{type: dense, units: 5}, {type: relu}, {type: dense, units: 4, bias: false}]";

std::vector<float> random_floats(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.uniform(lo, hi));
  return v;
}

std::vector<float> params_of(const Model& m) { return {m.store().params(), m.store().params() + m.store().size()}; }

TEST(Model, MlpParameterCountAndShapes) {
  Model m(YAML::Load(kMlp), {1, 28, 28}, 8, "mlp.yaml");
  // 784*512 + 512 + 512*256 + 256 + 256*10 + 10
  EXPECT_EQ(m.store().size(), 535818);
  EXPECT_EQ(m.layer_count(), 5u);
  EXPECT_EQ(m.output_shape(), (Shape{10}));
  EXPECT_EQ(m.input_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(m.layer(0)->in_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(m.layer(2)->in_shape(), (Shape{512}));
  EXPECT_EQ(m.max_batch(), 8);
  EXPECT_DOUBLE_EQ(m.flops_per_sample(), 6.0 * (784 * 512 + 512 * 256 + 256 * 10));
  EXPECT_NE(m.summary().find("total 535818 parameters"), std::string::npos) << m.summary();
}

TEST(Model, CostAndRunningStatsOfAConvBatchnormModel) {
  const char* yaml =
      "[{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, algorithm: im2col}, {type: batchnorm, sync: true}, "
      "{type: flatten}, {type: dense, units: 10}]";
  Model m(YAML::Load(yaml), {1, 8, 8}, 8, "conv.yaml");
  EXPECT_DOUBLE_EQ(m.flops_per_sample(), 6.0 * 4 * 9 * 64 + 10.0 * 4 * 64 + 6.0 * 256 * 10);
  // conv: groups of 256 / 64 = 4 samples, 3 GEMMs each; dense: 3 GEMMs
  const auto g = m.gemms(8);
  ASSERT_EQ(g.size(), 9u);
  EXPECT_EQ(g[0].N, 4 * 64);
  EXPECT_EQ(g[6].M, 8);
  EXPECT_TRUE(m.has_collective_layers());
  ASSERT_EQ(m.buffers().views().size(), 2u);
  EXPECT_EQ(m.buffers().views()[0].name, "layers.1.running_mean");
  EXPECT_EQ(m.buffers().size(), 8);
  EXPECT_FALSE(Model(YAML::Load(kMlp), {1, 28, 28}, 8, "mlp.yaml").has_collective_layers());
}

TEST(Model, ParamStoreViewsAreNamedContiguousAndInLayerOrder) {
  Model m(YAML::Load(kMlp), {1, 28, 28}, 8, "mlp.yaml");
  const auto& views = m.store().views();
  const struct {
    const char* name;
    size_t layer;
    Shape shape;
  } want[] = {{"layers.0.weight", 0, {512, 784}}, {"layers.0.bias", 0, {512}},       {"layers.2.weight", 2, {256, 512}},
              {"layers.2.bias", 2, {256}},        {"layers.4.weight", 4, {10, 256}}, {"layers.4.bias", 4, {10}}};
  ASSERT_EQ(views.size(), 6u);
  int64_t offset = 0;
  for (size_t i = 0; i < views.size(); ++i) {
    SCOPED_TRACE(views[i].name);
    EXPECT_EQ(views[i].name, want[i].name);
    EXPECT_EQ(views[i].layer, want[i].layer);
    EXPECT_EQ(views[i].shape, want[i].shape);
    EXPECT_EQ(views[i].offset, offset);
    EXPECT_EQ(views[i].count, numel(want[i].shape));
    offset += views[i].count;
  }
  EXPECT_EQ(offset, m.store().size());
  EXPECT_EQ(views[2].offset, 784 * 512 + 512);
}

TEST(Model, LayersReadTheirParametersFromTheFlatBuffer) {
  // (3) -> dense 2: y = W x + b with W at offset 0 (2, 3) and b at offset 6 (2)
  Model m(YAML::Load("[{type: dense, units: 2}]"), {3}, 4, "net.yaml");
  ASSERT_EQ(m.store().size(), 8);
  float* p = m.store().params();
  const float W_b[] = {1, 2, 3, -1, 0, 1, 0.5f, -0.5f};
  std::copy(std::begin(W_b), std::end(W_b), p);
  const float x[] = {1, 1, 2};
  const float* y = m.forward(x, 1);
  EXPECT_FLOAT_EQ(y[0], 1 + 2 + 6 + 0.5f);
  EXPECT_FLOAT_EQ(y[1], -1 + 0 + 2 - 0.5f);
  // Changing the store changes the output: the layer holds views, not copies.
  p[2] = 10;  // W[0][2]
  p[7] = 0;   // b[1]
  y = m.forward(x, 1);
  EXPECT_FLOAT_EQ(y[0], 1 + 2 + 20 + 0.5f);
  EXPECT_FLOAT_EQ(y[1], 1);
  // Gradients land in the flat gradient buffer at the same offsets.
  const float dout[] = {1, 2};
  m.backward(x, dout, 1);
  const float* g = m.store().grads();
  const float want_grads[] = {1, 1, 2, 2, 2, 4, 1, 2};  // dW = dout^T x, db = dout
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(g[i], want_grads[i]) << i;
  m.store().zero_grads();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(g[i], 0.0f) << i;
}

TEST(Model, InitIsDeterministicPerSeed) {
  Model a(YAML::Load(kMlp), {1, 28, 28}, 8, "mlp.yaml");
  Model b(YAML::Load(kMlp), {1, 28, 28}, 64, "mlp.yaml");  // max_batch does not matter
  a.init(42);
  b.init(42);
  EXPECT_EQ(params_of(a), params_of(b));
  b.init(43);
  const auto pa = params_of(a), pb = params_of(b);
  size_t same = 0;
  for (size_t i = 0; i < pa.size(); ++i) same += pa[i] == pb[i];
  EXPECT_LT(same, pa.size() / 1000);

  // One stream per layer: appending a layer leaves the earlier layers' values unchanged.
  Model longer(YAML::Load("[{type: dense, units: 512}, {type: relu}, {type: dense, units: 256}, {type: relu},"
                          " {type: dense, units: 10}, {type: relu}, {type: dense, units: 3}]"),
               {1, 28, 28}, 8, "mlp.yaml");
  longer.init(42);
  EXPECT_TRUE(std::equal(pa.begin(), pa.end(), longer.store().params()));
}

TEST(Model, TorchDefaultInitBounds) {
  Model m(YAML::Load(kMlp), {1, 28, 28}, 8, "mlp.yaml");
  m.init(7);
  for (const auto& v : m.store().views()) {
    SCOPED_TRACE(v.name);
    const int64_t fan_in = m.layer(v.layer)->params()[0].shape[1];
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    double max_abs = 0, sum = 0;
    for (int64_t i = 0; i < v.count; ++i) {
      const double w = m.store().params()[v.offset + i];
      max_abs = std::max(max_abs, std::abs(w));
      sum += w;
    }
    EXPECT_LE(max_abs, bound);
    EXPECT_GT(max_abs, 0.8 * bound);                                       // uses the whole interval
    EXPECT_LT(std::abs(sum / static_cast<double>(v.count)), 0.2 * bound);  // centred
  }
}

TEST(Model, ForwardBackwardMatchManuallyChainedLayers) {
  constexpr int64_t B = 3;
  Model m(YAML::Load(kTiny), {2, 3}, B, "tiny.yaml");
  m.init(1);
  const auto x = random_floats(B * 6, 2);     // (3, 2, 3)
  const auto dout = random_floats(B * 4, 3);  // (3, 4)

  // The same network by hand, reading the model's parameters, with its own gradient buffer.
  std::vector<float> grads(static_cast<size_t>(m.store().size()), 0.0f);
  Dense<float> d0({2, 3}, 5, true, Init::TorchDefault);
  ReLU<float> relu({5});
  Dense<float> d2({5}, 4, false, Init::TorchDefault);
  d0.bind(m.store().params(), grads.data());
  d2.bind(m.store().params() + 35, grads.data() + 35);  // after weight (5, 6) and bias (5)
  std::vector<float> h(B * 5), a(B * 5), y(B * 4), da(B * 5), dh(B * 5);
  d0.forward(x.data(), h.data(), B);
  relu.forward(h.data(), a.data(), B);
  d2.forward(a.data(), y.data(), B);
  d2.backward(a.data(), y.data(), dout.data(), da.data(), B);
  relu.backward(h.data(), a.data(), da.data(), dh.data(), B);
  d0.backward(x.data(), h.data(), dh.data(), nullptr, B);

  const float* out = m.forward(x.data(), B);
  for (int64_t i = 0; i < B * 4; ++i) EXPECT_FLOAT_EQ(out[i], y[i]) << i;
  m.backward(x.data(), dout.data(), B);
  for (size_t i = 0; i < grads.size(); ++i) EXPECT_FLOAT_EQ(m.store().grads()[i], grads[i]) << i;
  // A second backward accumulates.
  m.backward(x.data(), dout.data(), B);
  for (size_t i = 0; i < grads.size(); ++i) EXPECT_FLOAT_EQ(m.store().grads()[i], 2 * grads[i]) << i;
}

TEST(Model, ParameterGradientsMatchFiniteDifferencesInFloat) {
  constexpr int64_t B = 3;
  Model m(YAML::Load(kTiny), {2, 3}, B, "tiny.yaml");
  m.init(5);
  const auto x = random_floats(B * 6, 6);
  const auto R = random_floats(B * 4, 7);
  const auto loss = [&] {  // L = sum(out * R), accumulated in double
    const float* out = m.forward(x.data(), B);
    double L = 0;
    for (int64_t i = 0; i < B * 4; ++i) L += static_cast<double>(out[i]) * R[i];
    return L;
  };
  loss();
  m.store().zero_grads();
  m.backward(x.data(), R.data(), B);
  const std::vector<float> analytic(m.store().grads(), m.store().grads() + m.store().size());
  float* p = m.store().params();
  constexpr float kStep = 1e-3f;
  int bad = 0;
  for (int64_t i = 0; i < m.store().size(); ++i) {
    const float saved = p[i];
    p[i] = saved + kStep;
    const double up = loss();
    p[i] = saved - kStep;
    const double down = loss();
    p[i] = saved;
    const double fd = (up - down) / (2.0 * kStep);
    if (!(std::abs(fd - analytic[i]) <= 1e-2 * std::max(1.0, std::abs(fd))) && ++bad <= 5)
      ADD_FAILURE() << "grad[" << i << "]: analytic " << analytic[i] << ", finite difference " << fd;
  }
  EXPECT_EQ(bad, 0);
}

TEST(Model, ConstructionErrors) {
  const auto error_of = [](const std::string& yaml) -> std::string {
    try {
      Model(YAML::Load(yaml), {4}, 2, "net.yaml");
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected an error for " << yaml;
    return "";
  };
  std::string msg = error_of("[]");
  EXPECT_NE(msg.find("net.yaml: model.layers must be a non-empty list"), std::string::npos) << msg;
  msg = error_of("{type: dense, units: 3}");
  EXPECT_NE(msg.find("must be a non-empty list"), std::string::npos) << msg;
  msg = error_of("[{type: dense, units: 3}, {type: dense}]");
  EXPECT_NE(msg.find("net.yaml: model.layers[1] (dense)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'units'"), std::string::npos) << msg;

  Model m(YAML::Load("[{type: relu}]"), {4}, 2, "net.yaml");
  const float x[12] = {};
  EXPECT_THROW(m.forward(x, 3), Error);  // above max_batch
}

}  // namespace
}  // namespace dpt
