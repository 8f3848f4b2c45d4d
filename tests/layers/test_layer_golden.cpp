// dptrain's layers against PyTorch (float64) on the cases of tests/golden/layers/*.txt, written by
// tests/tools/make_layer_golden.py (CI has no PyTorch; only these files are read here). Each case
// builds its layer through the layer factory from the file's YAML entry, binds the file's
// parameters (PyTorch layout: conv weight (C_out, C_in/groups, KH, KW) then bias (C_out); batchnorm weight
// then bias) and buffers (running_mean then running_var), runs forward and backward in the file's
// mode and compares y, dx, the parameter gradients and the updated buffers:
//   Layer<double>: |got - want| <= 1e-12 * max(|want|, 1e-2 * max|want over the tensor|)
//   Layer<float>:  |got - want| <= 1e-5  * max(|want|, max|want over the tensor|)
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "layers/layer_factory.hpp"
#include "layers/running_stats.hpp"

#ifndef DPTRAIN_GOLDEN_DIR
#error "DPTRAIN_GOLDEN_DIR must name tests/golden"
#endif

namespace dpt {
namespace {

struct Tensor {
  Shape shape;
  std::vector<double> v;
};

struct Golden {
  std::string layer;  // YAML
  Shape input;
  int64_t batch = 0;
  bool training = false;
  std::map<std::string, Tensor> t;
  const Tensor& at(const std::string& name) const {
    const auto it = t.find(name);
    if (it == t.end()) throw std::runtime_error("golden file has no tensor '" + name + "'");
    return it->second;
  }
};

// Reads the format documented in make_layer_golden.py.
Golden read_golden(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + " (regenerate with tests/tools/make_layer_golden.py)");
  Golden g;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "layer") {
      g.layer = line.substr(6);
    } else if (key == "input") {
      for (int64_t d; ls >> d;) g.input.push_back(d);
    } else if (key == "batch") {
      ls >> g.batch;
    } else if (key == "training") {
      int v = 0;
      ls >> v;
      g.training = v != 0;
    } else if (key == "tensor") {
      std::string name;
      ls >> name;
      Tensor t;
      for (int64_t d; ls >> d;) t.shape.push_back(d);
      t.v.resize(static_cast<size_t>(numel(t.shape)));
      for (auto& v : t.v) {
        std::string tok;  // strtod, not >>: the stream rejects subnormals
        if (!(in >> tok)) throw std::runtime_error(path + ": tensor " + name + " is short");
        v = std::strtod(tok.c_str(), nullptr);
      }
      std::getline(in, line);  // the rest of the last value line
      g.t[name] = std::move(t);
    } else {
      throw std::runtime_error(path + ": unexpected line '" + line + "'");
    }
  }
  return g;
}

template <class T>
void expect_close(const std::string& what, const std::vector<T>& got, const Tensor& want, double rel, double floor) {
  ASSERT_EQ(got.size(), want.v.size()) << what;
  double scale = 0;
  for (const double w : want.v) scale = std::max(scale, std::abs(w));
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(static_cast<double>(got[i]) - want.v[i]);
    const double denom = std::max({std::abs(want.v[i]), floor * scale, 1e-300});
    if (!(err / denom <= worst)) worst = err / denom;  // NaN sticks
    if (!(err <= rel * denom) && ++bad <= 5)
      ADD_FAILURE() << what << "[" << i << "]: dptrain " << got[i] << ", PyTorch " << want.v[i];
  }
  EXPECT_EQ(bad, 0) << what << " (worst relative error " << worst << ")";
}

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <class T>
void run_case(const std::string& name, double rel, double floor) {
  const Golden g = read_golden(std::string(DPTRAIN_GOLDEN_DIR) + "/layers/" + name + ".txt");
  auto layer = make_layer<T>(YAML::Load(g.layer), 0, g.input, name);
  PassContext ctx;
  ctx.training = g.training;
  layer->set_context(&ctx);

  // Parameters and buffers, in declaration order, from the tensors of the same name.
  std::vector<T> params, grads, buffers;
  for (const auto& p : layer->params()) {
    const Tensor& t = g.at(p.name);
    ASSERT_EQ(t.shape, p.shape) << p.name;
    params.insert(params.end(), t.v.begin(), t.v.end());
  }
  for (const auto& q : stat_buffers(*layer)) {
    const Tensor& t = g.at(q.name);
    ASSERT_EQ(t.shape, q.shape) << q.name;
    buffers.insert(buffers.end(), t.v.begin(), t.v.end());
  }
  grads.assign(params.size(), T(0));
  if (!params.empty()) layer->bind(params.data(), grads.data());
  if (!buffers.empty()) layer->running_stats()->bind_buffers(buffers.data(), nullptr);

  const Tensor &x = g.at("x"), &dy = g.at("dy"), &y_want = g.at("y");
  Shape batch_out = layer->out_shape();
  batch_out.insert(batch_out.begin(), g.batch);
  ASSERT_EQ(y_want.shape, batch_out);
  const auto xs = cast<T>(x.v), dys = cast<T>(dy.v);
  std::vector<T> y(y_want.v.size(), T(NAN)), dx(x.v.size(), T(NAN));
  layer->forward(xs.data(), y.data(), g.batch);
  layer->backward(xs.data(), y.data(), dys.data(), dx.data(), g.batch);

  expect_close("y", y, y_want, rel, floor);
  expect_close("dx", dx, g.at("dx"), rel, floor);
  size_t off = 0;
  for (const auto& p : layer->params()) {
    const size_t n = static_cast<size_t>(numel(p.shape));
    expect_close(std::string("grad_") + p.name, std::vector<T>(grads.begin() + off, grads.begin() + off + n),
                 g.at(std::string("grad_") + p.name), rel, floor);
    off += n;
  }
  off = 0;
  for (const auto& q : stat_buffers(*layer)) {
    const size_t n = static_cast<size_t>(numel(q.shape));
    expect_close(q.name + "_after", std::vector<T>(buffers.begin() + off, buffers.begin() + off + n),
                 g.at(q.name + "_after"), rel, floor);
    off += n;
  }
}

const char* const kCases[] = {"conv2d_k3_s1_p0",
                              "conv2d_k3_s2_p1",
                              "conv2d_k5_s2_p2_nobias",
                              "conv2d_k1_s1_p1",
                              "conv2d_k3_s1_p2_d2",
                              "conv2d_k3_s1_p1_g2",
                              "conv2d_depthwise_k3_s2_p1",
                              "maxpool2d_k2_s2_p0",
                              "maxpool2d_k3_s2_p1",
                              "maxpool2d_k3_s1_p1",
                              "avgpool2d_k3_s2_p1",
                              "avgpool2d_k2_s2_p0",
                              "avgpool2d_k5_s2_p2",
                              "global_avgpool2d",
                              "batchnorm2d_train",
                              "batchnorm2d_eval",
                              "batchnorm1d_train",
                              "batchnorm1d_eval",
                              "sigmoid",
                              "tanh",
                              "leaky_relu",
                              "gelu",
                              "gelu_tanh"};

class LayerGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(LayerGolden, DoubleMatchesPyTorch) { run_case<double>(GetParam(), 1e-12, 1e-2); }
TEST_P(LayerGolden, FloatMatchesPyTorch) { run_case<float>(GetParam(), 1e-5, 1.0); }

INSTANTIATE_TEST_SUITE_P(PyTorch, LayerGolden, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

TEST(LayerGoldenFiles, ReaderParsesTheFormat) {
  const Golden g = read_golden(std::string(DPTRAIN_GOLDEN_DIR) + "/layers/conv2d_k3_s2_p1.txt");
  EXPECT_EQ(g.input, (Shape{2, 7, 5}));
  EXPECT_EQ(g.batch, 3);
  EXPECT_FALSE(g.training);
  EXPECT_EQ(g.at("x").shape, (Shape{3, 2, 7, 5}));
  EXPECT_EQ(g.at("weight").shape, (Shape{3, 2, 3, 3}));
  EXPECT_EQ(g.at("y").shape, (Shape{3, 3, 4, 3}));
  EXPECT_EQ(g.at("x").v.size(), 210u);
  EXPECT_TRUE(read_golden(std::string(DPTRAIN_GOLDEN_DIR) + "/layers/batchnorm1d_train.txt").training);
}

}  // namespace
}  // namespace dpt
