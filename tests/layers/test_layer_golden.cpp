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

#include <string>
#include <vector>

#include "layers/layer_factory.hpp"
#include "layers/running_stats.hpp"
#include "support/golden.hpp"

namespace dpt {
namespace {

using test::cast;
using test::expect_close;
using test::Golden;
using test::read_golden;
using test::Tensor;

template <class T>
void run_case(const std::string& name, double rel, double floor) {
  const Golden g = read_golden(test::golden_path("layers/" + name + ".txt"));
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
                              "gelu_tanh",
                              "maxpool1d_k3_s2_p1",
                              "maxpool1d_k2_s2_p0",
                              "avgpool1d_k4_s2_p2",
                              "maxpool3d_k2_s2_p0",
                              "maxpool3d_k3_s2_p1",
                              "avgpool3d_k3_s2_p1",
                              "avgpool3d_k2_s1_p0",
                              "global_avgpool_1d",
                              "global_avgpool_3d",
                              "upsample_1d_x2",
                              "upsample_2d_x3",
                              "upsample_3d_x2",
                              "pad_1d",
                              "pad_3d",
                              "crop_2d",
                              "crop_3d",
                              "layernorm_2d",
                              "layernorm_1d_eps",
                              "layernorm_3d_noaffine",
                              "batchnorm1d_signal_train",
                              "batchnorm1d_signal_eval",
                              "batchnorm3d_train",
                              "batchnorm3d_eval",
                              "conv1d_k5_s2_p2",
                              "conv1d_k3_d2_g2_nobias",
                              "conv3d_k3_s1_p1",
                              "conv3d_per_axis",
                              "conv3d_k3_s2_g2_nobias",
                              "conv_transpose2d_k2_s2",
                              "conv_transpose2d_k3_s2_p1_op1",
                              "conv_transpose3d_k2_s2",
                              "conv_transpose3d_per_axis_nobias"};

class LayerGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(LayerGolden, DoubleMatchesPyTorch) { run_case<double>(GetParam(), 1e-12, 1e-2); }
TEST_P(LayerGolden, FloatMatchesPyTorch) { run_case<float>(GetParam(), 1e-5, 1.0); }

INSTANTIATE_TEST_SUITE_P(PyTorch, LayerGolden, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

TEST(LayerGoldenFiles, ReaderParsesTheFormat) {
  const Golden g = read_golden(test::golden_path("layers/conv2d_k3_s2_p1.txt"));
  EXPECT_EQ(g.input, (Shape{2, 7, 5}));
  EXPECT_EQ(g.batch, 3);
  EXPECT_FALSE(g.training);
  EXPECT_EQ(g.at("x").shape, (Shape{3, 2, 7, 5}));
  EXPECT_EQ(g.at("weight").shape, (Shape{3, 2, 3, 3}));
  EXPECT_EQ(g.at("y").shape, (Shape{3, 3, 4, 3}));
  EXPECT_EQ(g.at("x").v.size(), 210u);
  EXPECT_TRUE(read_golden(test::golden_path("layers/batchnorm1d_train.txt")).training);
}

}  // namespace
}  // namespace dpt
