#include "onnx_export/onnx_export.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "core/error.hpp"
#include "onnx_export/layer_nodes.hpp"
#include "onnx_export/onnx_graph.hpp"

namespace dpt {

namespace {

constexpr int64_t kOpset = 17;   // ONNX 1.12 (Debian's libonnx) knows up to 17; ONNX Runtime runs it
constexpr int64_t kIrVersion = 8;

// features -> the model's input: the reader's conversion (h5/sample_source.hpp), in float32.
std::string input_nodes(onnx_export::OnnxGraph& g, const Model& model, const OnnxExportSpec& spec) {
  const Shape& shape = model.input_shape();
  const std::string features = g.fresh("features");
  g.input(features, shape);
  if (!spec.offset.empty()) {
    if (static_cast<int64_t>(spec.offset.size()) != numel(shape) || spec.mul.size() != spec.offset.size())
      fail("internal: ONNX export: normalization of {} features for an input of {}", spec.offset.size(),
           numel(shape));
    const std::string centered =
        g.node("Sub", {features, g.initializer("input.offset", shape, spec.offset.data())}, "input.centered");
    return g.node("Mul", {centered, g.initializer("input.mul", shape, spec.mul.data())}, "input");
  }
  if (spec.scale == 1.0f) return features;
  return g.node("Mul", {features, g.scalar(spec.scale)}, "input");
}

}  // namespace

std::string export_onnx(const Model& model, const OnnxExportSpec& spec) {
  onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("dptrain");
  m.set_doc_string(spec.description);
  onnx::OperatorSetIdProto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  for (const auto& [key, value] : spec.metadata) {
    onnx::StringStringEntryProto* p = m.add_metadata_props();
    p->set_key(key), p->set_value(value);
  }
  onnx::GraphProto* gp = m.mutable_graph();
  gp->set_name("dptrain");
  onnx_export::OnnxGraph g(gp);

  const Graph<float>& graph = model.graph();
  std::vector<std::string> out(graph.size());
  const std::string x = input_nodes(g, model, spec);
  for (size_t k = 0; k < graph.size(); ++k) {
    std::vector<std::string> in;
    for (int i : graph.spec(k).inputs) in.push_back(i == kModelInput ? x : out[static_cast<size_t>(i)]);
    out[k] = onnx_export::emit_node(g, model, k, in);
  }
  const std::string& result = spec.output_name;
  if (spec.probabilities)
    g.node("Softmax", {out.back()}, result, {onnx_export::Attr::Int("axis", 1)});
  else
    g.node("Identity", {out.back()}, result);
  g.output(result, model.output_shape());

  std::string bytes;
  if (!m.SerializeToString(&bytes)) fail("ONNX export: the model could not be serialized");
  check_onnx(bytes, "the exported model");
  return bytes;
}

void check_onnx(const std::string& bytes, const std::string& what) {
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes)) fail("{}: not an ONNX model (the protobuf does not parse)", what);
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    fail("{}: ONNX's checker refuses it: {}", what, e.what());
  }
}

}  // namespace dpt
