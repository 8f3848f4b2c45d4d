// The layer factory's layers over signals (C, L) and volumes (C, D, H, W) (layers/layer_factory_nd.cpp):
// shapes inferred from the YAML entries, and one error line naming the layer and the shapes for
// wrong ranks, windows larger than the input, crops that leave nothing and bad option values.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "core/error.hpp"
#include "layers/layer_factory.hpp"
#include "layers/running_stats.hpp"

namespace dpt {
namespace {

std::unique_ptr<Layer<double>> build(const std::string& yaml, Shape in, size_t index = 0) {
  return make_layer<double>(YAML::Load(yaml), index, in, "net.yaml");
}

std::string error_of(const std::string& yaml, Shape in, size_t index = 0) {
  try {
    build(yaml, std::move(in), index);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a dpt::Error for " << yaml;
  return "";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST(LayerFactoryNd, BuildsTheLayersWithShapeInference) {
  struct Case {
    const char* yaml;
    Shape in, out;
    const char* type;
    size_t params, buffers;
  } cases[] = {
      {"{type: maxpool1d, kernel_size: 2}", {2, 256}, {2, 128}, "maxpool1d", 0, 0},
      {"{type: maxpool1d, kernel_size: 3, stride: 2, padding: 1}", {2, 11}, {2, 6}, "maxpool1d", 0, 0},
      {"{type: avgpool1d, kernel_size: 4, stride: 1}", {3, 10}, {3, 7}, "avgpool1d", 0, 0},
      {"{type: maxpool3d, kernel_size: 2}", {4, 32, 32, 32}, {4, 16, 16, 16}, "maxpool3d", 0, 0},
      {"{type: avgpool3d, kernel_size: 3, stride: 2, padding: 1}", {1, 5, 6, 7}, {1, 3, 3, 4}, "avgpool3d", 0, 0},
      {"{type: global_avgpool}", {5, 9}, {5}, "global_avgpool", 0, 0},
      {"{type: global_avgpool}", {5, 3, 4}, {5}, "global_avgpool", 0, 0},
      {"{type: global_avgpool}", {5, 2, 3, 4}, {5}, "global_avgpool", 0, 0},
      {"{type: upsample}", {3, 4, 5}, {3, 8, 10}, "upsample", 0, 0},
      {"{type: upsample, scale_factor: 3}", {2, 2, 3, 4}, {2, 6, 9, 12}, "upsample", 0, 0},
      {"{type: upsample, scale_factor: 2}", {2, 7}, {2, 14}, "upsample", 0, 0},
      {"{type: pad, padding: 2}", {2, 3, 4, 5}, {2, 7, 8, 9}, "pad", 0, 0},
      {"{type: crop, crop: 1}", {2, 3, 4}, {2, 1, 2}, "crop", 0, 0},
      {"{type: layernorm}", {4, 6}, {4, 6}, "layernorm", 2, 0},
      {"{type: layernorm, eps: 1e-6, elementwise_affine: false}", {7}, {7}, "layernorm", 0, 0},
      {"{type: batchnorm}", {3, 50}, {3, 50}, "batchnorm", 2, 2},
      {"{type: batchnorm, sync: true}", {3, 4, 5, 6}, {3, 4, 5, 6}, "batchnorm", 2, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    auto layer = build(c.yaml, c.in);
    EXPECT_EQ(layer->type(), c.type);
    EXPECT_EQ(layer->out_shape(), c.out);
    EXPECT_EQ(layer->params().size(), c.params);
    EXPECT_EQ(stat_buffers(*layer).size(), c.buffers);
  }
  EXPECT_EQ(build("{type: layernorm}", {4, 6})->params()[1].shape, (Shape{4, 6}));
}

TEST(LayerFactoryNd, WrongRanksSayWhatShapeIsExpected) {
  EXPECT_HAS(error_of("{type: maxpool3d, kernel_size: 2}", {1, 32, 32}, 4),
             "net.yaml: model.layers[4] (maxpool3d): expects a volume (C, D, H, W), got input (1, 32, 32) (give the "
             "data as (N, C, D, H, W)");
  EXPECT_HAS(error_of("{type: avgpool1d, kernel_size: 2}", {256}, 1),
             "model.layers[1] (avgpool1d): expects a signal (C, L), got input (256)");
  EXPECT_HAS(error_of("{type: maxpool1d, kernel_size: 2}", {2, 8, 8}), "expects a signal (C, L), got input (2, 8, 8)");
  for (const char* t :
       {"{type: global_avgpool}", "{type: upsample}", "{type: pad, padding: 1}", "{type: crop, crop: 1}"})
    EXPECT_HAS(error_of(t, {12}, 3),
               "expects a signal (C, L), an image (C, H, W) or a volume (C, D, H, W), got input (12)");
  EXPECT_HAS(error_of("{type: upsample}", {1, 2, 3, 4, 5}), "got input (1, 2, 3, 4, 5)");
}

TEST(LayerFactoryNd, WindowsCropsAndOptionValues) {
  EXPECT_HAS(error_of("{type: maxpool3d, kernel_size: 3}", {2, 8, 2, 8}, 6),
             "model.layers[6] (maxpool3d): kernel 3 is larger than the padded input along axis 2 (2 + 2 x 0; input "
             "(2, 8, 2, 8))");
  EXPECT_HAS(error_of("{type: avgpool1d, kernel_size: 2, padding: 2}", {1, 8}),
             "padding 2 is more than half the kernel 2");
  EXPECT_HAS(error_of("{type: crop, crop: 2}", {3, 9, 4}, 2),
             "model.layers[2] (crop): cropping 2 from each side leaves nothing of input (3, 9, 4) (axis 2 has 4)");
  EXPECT_HAS(error_of("{type: upsample, scale_factor: 1}", {2, 4}), "scale_factor");
  EXPECT_HAS(error_of("{type: pad}", {2, 4}), "padding");
  EXPECT_HAS(error_of("{type: pad, padding: 0}", {2, 4}), "padding");
  EXPECT_HAS(error_of("{type: layernorm, eps: 0}", {2, 4}), "eps");
  EXPECT_HAS(error_of("{type: maxpool3d}", {2, 4, 4, 4}), "kernel_size");
  EXPECT_HAS(error_of("{type: global_avgpool, kernel_size: 2}", {2, 4}), "unknown config key 'kernel_size'");
}

}  // namespace
}  // namespace dpt
