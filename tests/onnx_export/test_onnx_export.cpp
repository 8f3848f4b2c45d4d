// The ONNX export's graph (the numbers are checked in ONNX Runtime: test_onnx_export.py): ONNX's
// checker accepts it, every parameter and running statistic is an initializer with the model's
// values under its dptrain name, dropout is gone, merges and the input conversion are the nodes
// they should be, a classifier ends in a softmax.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/model.hpp"
#include "onnx_export/onnx_export.hpp"

namespace dpt {
namespace {

onnx::ModelProto exported(const Model& m, const OnnxExportSpec& spec) {
  onnx::ModelProto p;
  EXPECT_TRUE(p.ParseFromString(export_onnx(m, spec)));
  return p;
}

std::vector<std::string> ops(const onnx::ModelProto& p) {
  std::vector<std::string> v;
  for (const auto& n : p.graph().node()) v.push_back(n.op_type());
  return v;
}

std::vector<float> values(const onnx::TensorProto& t) {
  std::vector<float> v(t.raw_data().size() / sizeof(float));
  std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
  return v;
}

TEST(OnnxExport, EveryTensorIsAnInitializerWithTheModelsValues) {
  Model m(YAML::Load("[{type: conv2d, out_channels: 3, kernel_size: 3, name: c}, {type: batchnorm}, {type: relu},"
                     " {type: flatten}, {type: dense, units: 2}]"),
          {1, 5, 5}, 2, "net.yaml");
  m.init(5);
  for (int64_t i = 0; i < m.buffers().size(); ++i) m.buffers().params()[i] = 0.25f + 0.5f * static_cast<float>(i);
  const onnx::ModelProto p = exported(m, {});
  std::map<std::string, std::vector<float>> init;
  for (const auto& t : p.graph().initializer()) init[t.name()] = values(t);
  for (const ParamStore* s : {&m.store(), &m.buffers()})
    for (const ParamView& v : s->views()) {
      ASSERT_TRUE(init.count(v.name)) << v.name;
      EXPECT_EQ(init[v.name], std::vector<float>(s->params() + v.offset, s->params() + v.offset + v.count)) << v.name;
    }
  EXPECT_EQ(ops(p), (std::vector<std::string>{"Conv", "BatchNormalization", "Relu", "Flatten", "Gemm", "Softmax"}));
  EXPECT_EQ(p.opset_import(0).version(), 17);
  EXPECT_EQ(p.graph().output(0).name(), "probabilities");
  EXPECT_EQ(p.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");  // dynamic batch
}

TEST(OnnxExport, AGraphWithMergesPassesOnnxsCheckerWithoutDropout) {
  const char* yaml = R"([
    {type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, name: stem},
    {type: batchnorm}, {type: gelu},
    {type: conv2d, out_channels: 4, kernel_size: 3, padding: 1, groups: 4, bias: false, name: dw},
    {type: add, inputs: [stem, input, dw]},
    {type: dropout, p: 0.5, name: drop},
    {type: conv2d, out_channels: 2, kernel_size: 1, inputs: [stem], name: side},
    {type: concat, inputs: [drop, side]},
    {type: maxpool2d, kernel_size: 2}, {type: gelu, approximate: tanh},
    {type: global_avgpool2d}, {type: dense, units: 3}])";
  Model m(YAML::Load(yaml), {4, 6, 6}, 2, "g.yaml");
  m.init(1);
  const std::string bytes = export_onnx(m, {});
  EXPECT_NO_THROW(check_onnx(bytes, "g.onnx"));
  onnx::ModelProto p;
  ASSERT_TRUE(p.ParseFromString(bytes));
  const std::vector<std::string> o = ops(p);
  EXPECT_EQ(std::count(o.begin(), o.end(), "Dropout"), 0);
  EXPECT_EQ(std::count(o.begin(), o.end(), "Add"), 2 + 1 + 2);  // the add of 3 inputs; gelu; gelu tanh
  EXPECT_EQ(std::count(o.begin(), o.end(), "Concat"), 1);
  EXPECT_EQ(std::count(o.begin(), o.end(), "Erf"), 1);
  EXPECT_EQ(std::count(o.begin(), o.end(), "Tanh"), 1);
  for (const auto& n : p.graph().node())
    if (n.op_type() == "Concat") {
      EXPECT_EQ(n.attribute(0).i(), 1);  // channels
    }
}

TEST(OnnxExport, TheInputConversionIsTheFirstNodes) {
  Model m(YAML::Load("[{type: dense, units: 2}]"), {3}, 2, "net.yaml");
  m.init(1);
  OnnxExportSpec norm;
  norm.offset = {1, 2, 3}, norm.mul = {0.5f, 0.25f, 2};
  onnx::ModelProto p = exported(m, norm);
  EXPECT_EQ(ops(p), (std::vector<std::string>{"Sub", "Mul", "Gemm", "Softmax"}));
  OnnxExportSpec scaled;
  scaled.scale = 1.0f / 255;
  scaled.probabilities = false, scaled.output_name = "logits";
  p = exported(m, scaled);
  EXPECT_EQ(ops(p), (std::vector<std::string>{"Mul", "Gemm", "Identity"}));
  EXPECT_EQ(p.graph().output(0).name(), "logits");
  p = exported(m, {});  // data.scale 1, no normalization: the features go straight in
  EXPECT_EQ(p.graph().node(0).op_type(), "Gemm");
  EXPECT_EQ(p.graph().node(0).input(0), "features");
}

// Exports m, runs ONNX's strict shape inference (every node's inference errors thrown) and checks
// that the output of every node k, the tensor "layers.k", has the shape dptrain gives it: the
// kernel, stride, padding, scale and crop attributes mean in ONNX what they mean in dptrain.
std::vector<std::string> check_inferred_shapes(const Model& m) {
  const std::string bytes = export_onnx(m, {});
  EXPECT_NO_THROW(check_onnx(bytes, "m.onnx"));
  onnx::ModelProto p;
  EXPECT_TRUE(p.ParseFromString(bytes));
  onnx::ShapeInferenceOptions opts{true, 1, true};
  onnx::shape_inference::InferShapes(p, onnx::OpSchemaRegistry::Instance(), opts);
  std::map<std::string, std::vector<int64_t>> inferred;
  for (const auto& v : p.graph().value_info()) {
    std::vector<int64_t> dims;
    for (const auto& d : v.type().tensor_type().shape().dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    inferred[v.name()] = dims;
  }
  for (size_t k = 0; k + 1 < m.graph().size(); ++k) {
    std::vector<int64_t> want = {-1};  // the batch axis N
    for (int64_t d : m.graph().out_shape(k)) want.push_back(d);
    EXPECT_EQ(inferred["layers." + std::to_string(k)], want) << "node " << k << " (" << m.graph().spec(k).type << ")";
  }
  return ops(p);
}

TEST(OnnxExport, SignalLayersHaveTheirShapesInOnnx) {
  Model m(YAML::Load("[{type: batchnorm}, {type: maxpool1d, kernel_size: 3, stride: 2, padding: 1}, {type: relu},"
                     " {type: avgpool1d, kernel_size: 2, padding: 1}, {type: upsample, scale_factor: 3},"
                     " {type: pad, padding: 2}, {type: crop, crop: 3}, {type: layernorm, elementwise_affine: false},"
                     " {type: global_avgpool}, {type: dense, units: 3}]"),
          {2, 16}, 2, "signal.yaml");
  m.init(1);
  EXPECT_EQ(check_inferred_shapes(m),
            (std::vector<std::string>{"BatchNormalization", "MaxPool", "Relu", "AveragePool", "Resize", "Pad", "Slice",
                                      "LayerNormalization", "GlobalAveragePool", "Flatten", "Gemm", "Softmax"}));
}

TEST(OnnxExport, VolumeLayersHaveTheirShapesInOnnx) {
  Model m(YAML::Load("[{type: maxpool3d, kernel_size: 2}, {type: avgpool3d, kernel_size: 3, stride: 1, padding: 1},"
                     " {type: batchnorm}, {type: upsample}, {type: pad, padding: 1}, {type: crop, crop: 2},"
                     " {type: layernorm}, {type: global_avgpool}, {type: dense, units: 2}]"),
          {2, 8, 6, 4}, 2, "volume.yaml");
  m.init(1);
  const auto o = check_inferred_shapes(m);
  EXPECT_EQ(std::count(o.begin(), o.end(), "MaxPool"), 1);
  EXPECT_EQ(std::count(o.begin(), o.end(), "LayerNormalization"), 1);
}

// The attribute `name` (a list of ints) of the node whose op is `op`.
std::vector<int64_t> ints_of(const onnx::ModelProto& p, const std::string& op, const std::string& name) {
  for (const auto& n : p.graph().node())
    if (n.op_type() == op)
      for (const auto& a : n.attribute())
        if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  ADD_FAILURE() << op << " has no attribute " << name;
  return {};
}

// conv1d, conv3d (ONNX Conv) and conv_transpose2d / 3d (ONNX ConvTranspose) with per-axis attributes:
// ONNX's strict shape inference gives every node's output the shape dptrain's graph has.
TEST(OnnxExport, NdConvolutionsHavePerAxisAttributesAndDptrainsShapes) {
  struct Case {
    const char* yaml;
    Shape in;
  } cases[] = {
      {"[{type: conv3d, out_channels: 4, kernel_size: [3, 2, 3], stride: [1, 2, 1], padding: [1, 0, 1], "
       "dilation: [1, 1, 2]}, {type: relu}, {type: conv_transpose3d, out_channels: 3, kernel_size: 2, stride: 2, "
       "output_padding: [1, 0, 1]}, {type: flatten}, {type: dense, units: 2}]",
       {2, 5, 6, 7}},
      {"[{type: conv1d, out_channels: 4, kernel_size: 5, stride: 2, padding: 2, groups: 1}, {type: dense, units: 2}]",
       {3, 20}},
      {"[{type: conv_transpose2d, out_channels: 3, kernel_size: 3, stride: 2, padding: 1, output_padding: 1,"
       " bias: false}, {type: dense, units: 2}]",
       {2, 6, 5}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    Model m(YAML::Load(c.yaml), c.in, 2, "nd.yaml");
    m.init(3);
    check_inferred_shapes(m);  // every node but the last: the shape dptrain gives it
  }
  Model m(YAML::Load(cases[0].yaml), cases[0].in, 2, "nd.yaml");
  m.init(3);
  const onnx::ModelProto p = exported(m, {});
  EXPECT_EQ(ops(p)[0], "Conv");
  EXPECT_EQ(ints_of(p, "Conv", "kernel_shape"), (std::vector<int64_t>{3, 2, 3}));
  EXPECT_EQ(ints_of(p, "Conv", "strides"), (std::vector<int64_t>{1, 2, 1}));
  EXPECT_EQ(ints_of(p, "Conv", "pads"), (std::vector<int64_t>{1, 0, 1, 1, 0, 1}));
  EXPECT_EQ(ints_of(p, "Conv", "dilations"), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(ints_of(p, "ConvTranspose", "kernel_shape"), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(ints_of(p, "ConvTranspose", "output_padding"), (std::vector<int64_t>{1, 0, 1}));
}

TEST(OnnxExport, ACorruptFileFailsTheCheckNamingIt) {
  try {
    check_onnx("not a protobuf at all", "model.onnx");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.onnx"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpt
