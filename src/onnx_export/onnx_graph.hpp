// A small builder over ONNX's GraphProto: initializers from float arrays, nodes with attributes,
// fresh tensor names. Internal to onnx_export/ (the only module on ONNX's protobufs).
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/shape.hpp"

namespace dpt::onnx_export {

// One attribute of a node: an int, a float, a string or a list of ints.
struct Attr {
  std::string name;
  enum class Kind { Int, Float, String, Ints } kind;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  static Attr Int(std::string n, int64_t v) { return {std::move(n), Kind::Int, v}; }
  static Attr Float(std::string n, float v) { return {std::move(n), Kind::Float, 0, v}; }
  static Attr Ints(std::string n, std::vector<int64_t> v) { return {std::move(n), Kind::Ints, 0, 0, {}, std::move(v)}; }
  static Attr Str(std::string n, std::string v) { return {std::move(n), Kind::String, 0, 0, std::move(v)}; }
};

class OnnxGraph {
 public:
  explicit OnnxGraph(onnx::GraphProto* g) : g_(g) {}
  // A float32 initializer `name` of shape `dims` holding numel(dims) values from `data`.
  const std::string& initializer(const std::string& name, const Shape& dims, const float* data);
  // A 1-D int64 initializer `name` holding `values` (shapes, pads, slice bounds).
  const std::string& int_initializer(const std::string& name, const std::vector<int64_t>& values);
  // A scalar float32 constant (an initializer named after its value, shared by every use).
  std::string scalar(float v);
  // Appends node `op`; its output is a fresh tensor named after `base`, returned.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& base,
                   const std::vector<Attr>& attrs = {});
  // A name not used yet: base, base.1, base.2, ...
  std::string fresh(const std::string& base);
  // Declares a graph input or output of float32 (N, dims...) with a dynamic batch axis "N".
  void input(const std::string& name, const Shape& dims) { declare(g_->add_input(), name, dims); }
  void output(const std::string& name, const Shape& dims) { declare(g_->add_output(), name, dims); }

 private:
  static void declare(onnx::ValueInfoProto* v, const std::string& name, const Shape& dims);
  onnx::GraphProto* g_;
  std::vector<std::string> names_;
};

}  // namespace dpt::onnx_export
