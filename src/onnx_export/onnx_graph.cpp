#include "onnx_export/onnx_graph.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dpt::onnx_export {

const std::string& OnnxGraph::initializer(const std::string& name, const Shape& dims, const float* data) {
  onnx::TensorProto* t = g_->add_initializer();
  t->set_name(fresh(name));
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(data, static_cast<size_t>(numel(dims)) * sizeof(float));  // little-endian, as ONNX stores it
  return t->name();
}

const std::string& OnnxGraph::int_initializer(const std::string& name, const std::vector<int64_t>& values) {
  onnx::TensorProto* t = g_->add_initializer();
  t->set_name(fresh(name));
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
  return t->name();
}

std::string OnnxGraph::scalar(float v) {
  const std::string name = fmt::format("const.{}", v);
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) return name;
  return initializer(name, {}, &v);
}

std::string OnnxGraph::node(const std::string& op, const std::vector<std::string>& inputs, const std::string& base,
                            const std::vector<Attr>& attrs) {
  onnx::NodeProto* n = g_->add_node();
  n->set_op_type(op);
  const std::string out = fresh(base);
  n->set_name(out);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(out);
  for (const Attr& a : attrs) {
    onnx::AttributeProto* p = n->add_attribute();
    p->set_name(a.name);
    switch (a.kind) {
      case Attr::Kind::Int:
        p->set_type(onnx::AttributeProto::INT), p->set_i(a.i);
        break;
      case Attr::Kind::Float:
        p->set_type(onnx::AttributeProto::FLOAT), p->set_f(a.f);
        break;
      case Attr::Kind::String:
        p->set_type(onnx::AttributeProto::STRING), p->set_s(a.s);
        break;
      case Attr::Kind::Ints:
        p->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : a.ints) p->add_ints(v);
        break;
    }
  }
  return out;
}

std::string OnnxGraph::fresh(const std::string& base) {
  std::string name = base;
  for (int k = 1; std::find(names_.begin(), names_.end(), name) != names_.end(); ++k)
    name = fmt::format("{}.{}", base, k);
  names_.push_back(name);
  return name;
}

void OnnxGraph::declare(onnx::ValueInfoProto* v, const std::string& name, const Shape& dims) {
  v->set_name(name);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("N");
  for (int64_t d : dims) s->add_dim()->set_dim_value(d);
}

}  // namespace dpt::onnx_export
