// A trained network as an ONNX model (opset 17, IR version 8: what ONNX Runtime and
// python3-onnx's checker accept), in inference form:
//   input  "features"       float32 (N, input...), the stored feature values (any stored type,
//                           converted to float32 by the caller); N is a dynamic axis
//   first nodes             the reader's conversion: (features - offset) * mul (stored feature
//                           normalization, mul = its scale * data.scale) or features * data.scale
//   the layer graph         dropout removed, batchnorm with its running statistics; tensors keep
//                           dptrain's names (layers.3.weight, ...)
//   output "probabilities"  (N, C): softmax of the logits (a classifier), or the last node's
//                           output, e.g. "logits" or "predictions" (N, outputs...) of a
//                           regression model (loss mse)
// = what `dptrain predict` writes for the same rows. The only code on ONNX's protobufs.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "model/model.hpp"

namespace dpt {

struct OnnxExportSpec {
  // Stored normalization: offset and mul per feature (numel(input)); empty: features * scale.
  std::vector<float> offset, mul;
  float scale = 1;
  bool probabilities = true;               // a softmax at the end (a classifier); false: the last node's output
  std::string output_name = "probabilities";  // "logits", "predictions" (a regression model)
  std::vector<std::pair<std::string, std::string>> metadata;  // metadata_props, in order
  std::string description;                                   // the model's doc_string
};

// The serialized ModelProto, checked by ONNX's checker. Throws naming the node (label and type)
// for a layer ONNX cannot express.
std::string export_onnx(const Model& model, const OnnxExportSpec& spec);

// Parses a serialized model and runs ONNX's checker on it; throws with the checker's message
// (what = "what" for messages: the file name).
void check_onnx(const std::string& bytes, const std::string& what);

}  // namespace dpt
