// make_layer: builds layers from YAML entries; every error names the config, the layer index and
// the offending key or value.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "core/error.hpp"
#include "layers/layer_factory.hpp"

namespace dpt {
namespace {

std::unique_ptr<Layer<double>> build(const std::string& yaml, size_t index = 0, Shape in = {2, 3}) {
  return make_layer<double>(YAML::Load(yaml), index, in, "net.yaml");
}

std::string error_of(const std::string& yaml, size_t index = 0) {
  try {
    build(yaml, index);
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
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0].first, "dense");
  EXPECT_EQ(types[1].first, "relu");
}

TEST(LayerFactory, UnknownTypeListsKnownTypesAndNamesTheIndex) {
  const std::string msg = error_of("{type: conv, filters: 3}", 2);
  EXPECT_HAS(msg, "net.yaml: model.layers[2]");
  EXPECT_HAS(msg, "unknown layer type 'conv'");
  EXPECT_HAS(msg, "(known: dense, relu)");
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

}  // namespace
}  // namespace dpt
