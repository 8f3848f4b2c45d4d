// make_layer: builds layers from YAML entries; every error names the config, the layer index and
// the offending key or value.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>

#include "core/error.hpp"
#include "layers/layer_factory.hpp"
#include "layers/running_stats.hpp"

namespace dpt {
namespace {

std::unique_ptr<Layer<double>> build(const std::string& yaml, size_t index = 0, Shape in = {2, 3}) {
  return make_layer<double>(YAML::Load(yaml), index, in, "net.yaml");
}

std::string error_of(const std::string& yaml, size_t index = 0, Shape in = {2, 3}) {
  try {
    build(yaml, index, std::move(in));
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a dpt::Error for " << yaml;
  return "";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST(LayerFactory, BuildsDenseAndReluWithShapeInference) {
  auto dense = build("{type: dense, units: 7, bias: false, init: he_uniform}");
  EXPECT_EQ(dense->type(), "dense");
  EXPECT_EQ(dense->in_shape(), (Shape{2, 3}));
  EXPECT_EQ(dense->out_shape(), (Shape{7}));
  ASSERT_EQ(dense->params().size(), 1u);  // bias: false
  EXPECT_EQ(dense->params()[0].shape, (Shape{7, 6}));

  auto with_bias = build("{type: dense, units: 4}");  // bias defaults to true
  EXPECT_EQ(with_bias->params().size(), 2u);

  auto relu = build("{type: relu}");
  EXPECT_EQ(relu->type(), "relu");
  EXPECT_EQ(relu->out_shape(), (Shape{2, 3}));

  const auto& types = layer_types();
  ASSERT_EQ(types.size(), 27u);
  EXPECT_EQ(types[0].first, "dense");
  EXPECT_EQ(types[10].first, "relu");
}

TEST(LayerFactory, UnknownTypeListsKnownTypesAndNamesTheIndex) {
  const std::string msg = error_of("{type: conv, filters: 3}", 2);
  EXPECT_HAS(msg, "net.yaml: model.layers[2]");
  EXPECT_HAS(msg, "unknown layer type 'conv'");
  EXPECT_HAS(msg,
             "(known: dense, conv2d, conv1d, conv3d, conv_transpose2d, conv_transpose3d, maxpool2d, avgpool2d, "
             "global_avgpool2d, flatten, relu, sigmoid, tanh, leaky_relu, gelu, identity, dropout, batchnorm, "
             "maxpool1d, maxpool3d, avgpool1d, avgpool3d, global_avgpool, upsample, pad, crop, layernorm)");
}

TEST(LayerFactory, EntryMustBeAMappingWithAType) {
  EXPECT_HAS(error_of("dense", 1), "model.layers[1]: each layer must be a mapping with a 'type'");
  EXPECT_HAS(error_of("{units: 3}"), "must be a mapping with a 'type'");
}

TEST(LayerFactory, DenseWithoutUnitsIsAnError) {
  const std::string msg = error_of("{type: dense}", 3);
  EXPECT_HAS(msg, "model.layers[3] (dense)");
  EXPECT_HAS(msg, "required option 'units'");
}

TEST(LayerFactory, UnknownKeySuggestsTheClosest) {
  const std::string msg = error_of("{type: dense, unit: 10}", 4);
  EXPECT_HAS(msg, "model.layers[4] (dense)");
  EXPECT_HAS(msg, "unknown config key 'unit'");
  EXPECT_HAS(msg, "did you mean 'units'");
  // ReLU takes no keys at all.
  EXPECT_HAS(error_of("{type: relu, units: 3}"), "unknown config key 'units'");
}

TEST(LayerFactory, ValuesAreValidated) {
  std::string msg = error_of("{type: dense, units: 0}");
  EXPECT_HAS(msg, "units = 0 is out of range");
  EXPECT_HAS(msg, "model.layers[0] (dense)");
  EXPECT_HAS(error_of("{type: dense, units: -5}"), "out of range");
  EXPECT_HAS(error_of("{type: dense, units: ten}"), "units = 'ten' is not a valid int");
  EXPECT_HAS(error_of("{type: dense, units: 2.5}"), "is not a valid int");
  EXPECT_HAS(error_of("{type: dense, units: 3, bias: sometimes}"), "use true or false");
  msg = error_of("{type: dense, units: 3, init: glorot}");
  EXPECT_HAS(msg, "init = 'glorot' is not valid: must be one of: torch_default, he_uniform, xavier_uniform");
  msg = error_of("{type: dense, units: 3, init: }", 1);  // empty: caught here, with the layer index
  EXPECT_HAS(msg, "model.layers[1] (dense): init = '' is not valid");
}

TEST(LayerFactory, BuildsTheConvolutionalLayersWithShapeInference) {
  struct Case {
    const char* yaml;
    Shape in, out;
    const char* type;
    size_t params, buffers;
  } cases[] = {
      {"{type: conv2d, out_channels: 4, kernel_size: 3}", {2, 7, 5}, {4, 5, 3}, "conv2d", 2, 0},
      {"{type: conv2d, out_channels: 4, kernel_size: 5, stride: 2, padding: 2, bias: false}",
       {2, 7, 5},
       {4, 4, 3},
       "conv2d",
       1,
       0},
      {"{type: maxpool2d, kernel_size: 2}", {3, 7, 5}, {3, 3, 2}, "maxpool2d", 0, 0},  // stride defaults to 2
      {"{type: maxpool2d, kernel_size: 3, stride: 1, padding: 1}", {3, 7, 5}, {3, 7, 5}, "maxpool2d", 0, 0},
      {"{type: avgpool2d, kernel_size: 3, stride: 2, padding: 1}", {3, 7, 5}, {3, 4, 3}, "avgpool2d", 0, 0},
      {"{type: global_avgpool2d}", {3, 7, 5}, {3}, "global_avgpool2d", 0, 0},
      {"{type: conv2d, out_channels: 4, kernel_size: 3, padding: 2, dilation: 2}",
       {2, 7, 5},
       {4, 7, 5},
       "conv2d",
       2,
       0},
      {"{type: conv2d, out_channels: 6, kernel_size: 3, groups: 2}", {4, 7, 5}, {6, 5, 3}, "conv2d", 2, 0},
      {"{type: conv2d, out_channels: 3, kernel_size: 3, stride: 2, padding: 1, groups: 3}",
       {3, 7, 5},
       {3, 4, 3},
       "conv2d",
       2,
       0},
      {"{type: flatten}", {3, 7, 5}, {105}, "flatten", 0, 0},
      {"{type: sigmoid}", {3, 7, 5}, {3, 7, 5}, "sigmoid", 0, 0},
      {"{type: tanh}", {6}, {6}, "tanh", 0, 0},
      {"{type: dropout, p: 0.25}", {3, 7, 5}, {3, 7, 5}, "dropout", 0, 0},
      {"{type: batchnorm}", {3, 7, 5}, {3, 7, 5}, "batchnorm", 2, 2},
      {"{type: batchnorm, momentum: 0.2, eps: 1e-3, sync: true}", {6}, {6}, "batchnorm", 2, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    auto layer = build(c.yaml, 0, c.in);
    EXPECT_EQ(layer->type(), c.type);
    EXPECT_EQ(layer->in_shape(), c.in);
    EXPECT_EQ(layer->out_shape(), c.out);
    EXPECT_EQ(layer->params().size(), c.params);
    EXPECT_EQ(stat_buffers(*layer).size(), c.buffers);
    EXPECT_EQ(layer->running_stats() != nullptr, c.buffers > 0);
  }
}

TEST(LayerFactory, ConvOnANonImageInputNamesTheLayerAndShape) {
  const std::string msg = error_of("{type: conv2d, out_channels: 4, kernel_size: 3}", 2, {784});
  EXPECT_HAS(msg, "net.yaml: model.layers[2] (conv2d)");
  EXPECT_HAS(msg, "input (784) is not an image (C, H, W)");
  EXPECT_HAS(error_of("{type: maxpool2d, kernel_size: 2}", 5, {8, 8}), "model.layers[5] (maxpool2d): input (8, 8)");
  EXPECT_HAS(error_of("{type: batchnorm}", 1, {2, 3, 4, 5, 6}),
             "model.layers[1] (batchnorm): batchnorm needs features (D), signals (C, L), images (C, H, W) or volumes "
             "(C, D, H, W), got (2, 3, 4, 5, 6)");
}

TEST(LayerFactory, KernelLargerThanThePaddedInput) {
  std::string msg = error_of("{type: conv2d, out_channels: 4, kernel_size: 5}", 1, {1, 4, 9});
  EXPECT_HAS(msg, "model.layers[1] (conv2d)");
  EXPECT_HAS(msg, "kernel 5x5 is larger than the padded input 4x9 (input (1, 4, 9), padding 0)");
  // Padding makes room: 4 + 2 = 6 >= 5.
  EXPECT_EQ(build("{type: conv2d, out_channels: 4, kernel_size: 5, padding: 1}", 0, {1, 4, 9})->out_shape(),
            (Shape{4, 2, 7}));
  msg = error_of("{type: avgpool2d, kernel_size: 7, padding: 1}", 3, {2, 4, 5});
  EXPECT_HAS(msg, "model.layers[3] (avgpool2d): kernel 7x7 is larger than the padded input 6x7");
}

TEST(LayerFactory, PoolingThatWouldLeaveANegativeSizeIsAnError) {
  // 28 -> conv 5 -> 24 -> pool 2 -> 12 -> conv 5 -> 8 -> pool 2 -> 4 -> pool 2 -> 2 -> pool 3: nothing left.
  Shape s{1, 28, 28};
  const char* chain[] = {"{type: conv2d, out_channels: 2, kernel_size: 5}", "{type: maxpool2d, kernel_size: 2}",
                         "{type: conv2d, out_channels: 2, kernel_size: 5}", "{type: maxpool2d, kernel_size: 2}",
                         "{type: avgpool2d, kernel_size: 2}"};
  for (size_t i = 0; i < 5; ++i) s = build(chain[i], i, s)->out_shape();
  EXPECT_EQ(s, (Shape{2, 2, 2}));
  const std::string msg = error_of("{type: maxpool2d, kernel_size: 3}", 5, s);
  EXPECT_HAS(msg, "model.layers[5] (maxpool2d): kernel 3x3 is larger than the padded input 2x2");
  // Max-pooling padding beyond half the kernel would make windows of padding only.
  EXPECT_HAS(error_of("{type: maxpool2d, kernel_size: 2, padding: 2}", 0, {1, 8, 8}),
             "padding 2 is more than half the kernel 2");
}

TEST(LayerFactory, GlobalAvgPoolNeedsAnImageAndTakesNoKeys) {
  EXPECT_HAS(error_of("{type: global_avgpool2d}", 3, {12}),
             "model.layers[3] (global_avgpool2d): input (12) is not an image");
  EXPECT_HAS(error_of("{type: global_avgpool2d, kernel_size: 2}", 0, {1, 4, 4}), "unknown config key 'kernel_size'");
}

TEST(LayerFactory, ConvAlgorithmChoosesWinogradWhereItFits) {
  // The GEMMs a layer declares tell which algorithm runs: Winograd has 3 per position (48 a block).
  const auto gemms = [](const std::string& yaml, Shape in) { return build(yaml, 0, std::move(in))->cost(4).gemms.size(); };
  EXPECT_EQ(gemms("{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1}", {2, 8, 8}), 48u);
  EXPECT_EQ(gemms("{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, algorithm: winograd}", {2, 8, 8}), 48u);
  EXPECT_EQ(gemms("{type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, algorithm: im2col}", {2, 8, 8}), 3u);
  EXPECT_EQ(gemms("{type: conv2d, out_channels: 4, kernel_size: 3, stride: 2}", {2, 8, 8}), 3u);  // auto: im2col
  EXPECT_EQ(gemms("{type: conv2d, out_channels: 4, kernel_size: 5}", {2, 8, 8}), 3u);
  EXPECT_HAS(error_of("{type: conv2d, out_channels: 4, kernel_size: 5, algorithm: winograd}", 2, {2, 8, 8}),
             "net.yaml: model.layers[2] (conv2d): algorithm = winograd needs kernel_size 3, stride 1, dilation 1 and "
             "groups 1 (got 5, 1, 1, 1); use auto or im2col");
  EXPECT_HAS(error_of("{type: conv2d, out_channels: 4, kernel_size: 3, algorithm: fft}", 0, {2, 8, 8}),
             "algorithm = 'fft' is not valid: must be one of: auto, im2col, winograd");
}

TEST(LayerFactory, ConvGroupsAndDilation) {
  auto dw = build("{type: conv2d, out_channels: 8, kernel_size: 3, stride: 2, padding: 1, groups: 8}", 0, {8, 9, 9});
  EXPECT_EQ(dw->params()[0].shape, (Shape{8, 1, 3, 3}));  // PyTorch's (C_out, C_in/groups, KH, KW)
  EXPECT_EQ(dw->describe(), "conv2d 8->8 3x3 s2 p1 depthwise");
  EXPECT_EQ(build("{type: conv2d, out_channels: 4, kernel_size: 3, groups: 2, dilation: 2}", 0, {6, 9, 9})->describe(),
            "conv2d 6->4 3x3 s1 p0 d2 g2");
  std::string msg = error_of("{type: conv2d, out_channels: 8, kernel_size: 3, groups: 3}", 4, {6, 9, 9});
  EXPECT_HAS(msg,
             "net.yaml: model.layers[4] (conv2d): groups = 3 must divide both the input channels (6) and "
             "out_channels (8)");
  msg = error_of("{type: conv2d, out_channels: 6, kernel_size: 1, groups: 4}", 1, {6, 9, 9});
  EXPECT_HAS(msg, "model.layers[1] (conv2d): groups = 4 must divide both the input channels (6) and out_channels (6)");
  EXPECT_HAS(error_of("{type: conv2d, out_channels: 6, kernel_size: 1, groups: 0}", 0, {6, 9, 9}),
             "groups = 0 is out of range");
  EXPECT_HAS(error_of("{type: conv2d, out_channels: 6, kernel_size: 3, dilation: 0}", 0, {6, 9, 9}),
             "dilation = 0 is out of range");
  // A 3x3 kernel at dilation 3 spans 7x7: too big for 5x9 without padding, fits with padding 1.
  msg = error_of("{type: conv2d, out_channels: 2, kernel_size: 3, dilation: 3}", 2, {1, 5, 9});
  EXPECT_HAS(msg,
             "model.layers[2] (conv2d): kernel 3x3 with dilation 3 spans 7x7, larger than the padded input 5x9 "
             "(input (1, 5, 9), padding 0)");
  EXPECT_EQ(
      build("{type: conv2d, out_channels: 2, kernel_size: 3, dilation: 3, padding: 1}", 0, {1, 5, 9})->out_shape(),
      (Shape{2, 1, 5}));
}

TEST(LayerFactory, DenseInFeaturesMustMatchItsInput) {
  EXPECT_EQ(build("{type: dense, units: 3, in_features: 105}", 0, {3, 7, 5})->params()[0].shape, (Shape{3, 105}));
  const std::string msg = error_of("{type: dense, units: 10, in_features: 784}", 4, {3, 7, 5});
  EXPECT_HAS(msg, "model.layers[4] (dense): in_features = 784 but its input (3, 7, 5) has 105 features");
}

TEST(LayerFactory, ConvolutionalLayersCheckTheirKeysAndValues) {
  std::string msg = error_of("{type: conv2d, out_channels: 4, kernel_size: 3, strides: 2}", 2, {1, 8, 8});
  EXPECT_HAS(msg, "model.layers[2] (conv2d)");
  EXPECT_HAS(msg, "unknown config key 'strides'");
  EXPECT_HAS(msg, "did you mean 'stride'");
  EXPECT_HAS(error_of("{type: conv2d, kernel_size: 3}", 0, {1, 8, 8}), "required option 'out_channels'");
  EXPECT_HAS(error_of("{type: conv2d, out_channels: 2, kernel_size: 3, stride: 0}", 0, {1, 8, 8}), "out of range");
  EXPECT_HAS(error_of("{type: conv2d, out_channels: 2, kernel_size: 3, padding: -1}", 0, {1, 8, 8}), "out of range");
  EXPECT_HAS(error_of("{type: dropout, p: 1}", 0, {4}), "out of range");
  EXPECT_HAS(error_of("{type: batchnorm, eps: 0}", 0, {4}), "eps");
  EXPECT_HAS(error_of("{type: flatten, dims: 1}", 0, {1, 2, 2}), "unknown config key 'dims'");
}

}  // namespace
}  // namespace dpt
