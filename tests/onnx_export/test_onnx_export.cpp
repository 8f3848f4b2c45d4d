// The ONNX export's graph (the numbers are checked in ONNX Runtime: test_onnx_export.py): ONNX's
// checker accepts it, every parameter and running statistic is an initializer with the model's
// values under its dptrain name, dropout is gone, merges and the input conversion are the nodes
// they should be, a classifier ends in a softmax.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
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
