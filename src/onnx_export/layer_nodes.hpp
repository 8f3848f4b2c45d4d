// The ONNX nodes of one node of dptrain's layer graph (inference form), internal to onnx_export/.
#pragma once
#include <string>
#include <vector>

#include "model/model.hpp"
#include "onnx_export/onnx_graph.hpp"

namespace dpt::onnx_export {

// Node k of `model` applied to `inputs` (the ONNX tensors of its inputs); returns its output
// tensor. Parameters and running statistics become initializers under their dptrain names.
// Throws naming the node for a type ONNX cannot express.
std::string emit_node(OnnxGraph& g, const Model& model, size_t k, const std::vector<std::string>& inputs);

}  // namespace dpt::onnx_export
