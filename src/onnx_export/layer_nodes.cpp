#include "onnx_export/layer_nodes.hpp"

#include <cmath>

#include "core/error.hpp"
#include "layers/layer_factory.hpp"

namespace dpt::onnx_export {

namespace {

struct NodeCtx {
  OnnxGraph& g;
  const Model& model;
  size_t k;
  const std::vector<std::string>& in;  // the ONNX tensors of the node's inputs
  std::string base;                    // "layers.k": prefix of the node's tensors
  Config opt;                          // the layer's options, defaults filled (none for merges)
};

// The initializer of node k's tensor "layers.k.<suffix>" (a parameter or a running statistic),
// or "" when the node has none (a layer without bias).
std::string tensor(const NodeCtx& c, const ParamStore& store, const std::string& suffix) {
  const std::string name = c.base + "." + suffix;
  for (const ParamView& v : store.views())
    if (v.layer == c.k && v.name == name) return c.g.initializer(name, v.shape, store.params() + v.offset);
  return "";
}
std::string param(const NodeCtx& c, const std::string& suffix) { return tensor(c, c.model.store(), suffix); }

std::vector<int64_t> twice(int64_t v) { return {v, v}; }

std::string conv(const NodeCtx& c) {
  const int64_t k = c.opt.get_int("kernel_size"), p = c.opt.get_int("padding");
  std::vector<std::string> in = {c.in[0], param(c, "weight")};
  if (const std::string b = param(c, "bias"); !b.empty()) in.push_back(b);
  return c.g.node("Conv", in, c.base,
                  {Attr::Ints("kernel_shape", twice(k)), Attr::Ints("strides", twice(c.opt.get_int("stride"))),
                   Attr::Ints("pads", {p, p, p, p}), Attr::Ints("dilations", twice(c.opt.get_int("dilation"))),
                   Attr::Int("group", c.opt.get_int("groups"))});
}

std::string pool(const NodeCtx& c, bool max) {
  const int64_t k = c.opt.get_int("kernel_size"), p = c.opt.get_int("padding");
  const int64_t s = c.opt.get_int("stride") == 0 ? k : c.opt.get_int("stride");
  std::vector<Attr> a = {Attr::Ints("kernel_shape", twice(k)), Attr::Ints("strides", twice(s)),
                         Attr::Ints("pads", {p, p, p, p})};
  if (!max) a.push_back(Attr::Int("count_include_pad", 1));  // dptrain counts zero padding in the average
  return c.g.node(max ? "MaxPool" : "AveragePool", {c.in[0]}, c.base, a);
}

std::string dense(const NodeCtx& c, const Shape& in) {
  std::string x = c.in[0];
  if (in.size() != 1) x = c.g.node("Flatten", {x}, c.base + ".flat", {Attr::Int("axis", 1)});
  std::vector<std::string> args = {x, param(c, "weight")};  // weight: (out, in) -> x W^T
  if (const std::string b = param(c, "bias"); !b.empty()) args.push_back(b);
  return c.g.node("Gemm", args, c.base, {Attr::Int("transB", 1)});
}

std::string batchnorm(const NodeCtx& c) {
  const ParamStore& bufs = c.model.buffers();
  return c.g.node("BatchNormalization",
                  {c.in[0], param(c, "weight"), param(c, "bias"), tensor(c, bufs, "running_mean"),
                   tensor(c, bufs, "running_var")},
                  c.base, {Attr::Float("epsilon", static_cast<float>(c.opt.get_float("eps")))});
}

// GELU before opset 20: x * 0.5 * (1 + erf(x / sqrt 2)), or with tanh:
// x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).
std::string gelu(const NodeCtx& c) {
  OnnxGraph& g = c.g;
  const std::string& x = c.in[0];
  std::string t;
  if (c.opt.get_string("approximate") == "tanh") {
    const std::string x3 = g.node("Mul", {g.node("Mul", {x, x}, c.base + ".x2"), x}, c.base + ".x3");
    const std::string inner = g.node("Add", {x, g.node("Mul", {x3, g.scalar(0.044715f)}, c.base + ".cx3")}, c.base + ".in");
    t = g.node("Tanh", {g.node("Mul", {inner, g.scalar(static_cast<float>(std::sqrt(2.0 / M_PI)))}, c.base + ".arg")},
               c.base + ".tanh");
  } else {
    t = g.node("Erf", {g.node("Mul", {x, g.scalar(static_cast<float>(1.0 / std::sqrt(2.0)))}, c.base + ".arg")},
               c.base + ".erf");
  }
  const std::string half = g.node("Mul", {g.node("Add", {t, g.scalar(1.0f)}, c.base + ".one_plus"), g.scalar(0.5f)},
                                  c.base + ".phi");
  return g.node("Mul", {x, half}, c.base);
}

std::string merge(const NodeCtx& c, const std::string& type) {
  if (type == "concat") return c.g.node("Concat", c.in, c.base, {Attr::Int("axis", 1)});  // channels
  std::string sum = c.in[0];  // add: in the order given, as dptrain sums
  for (size_t i = 1; i < c.in.size(); ++i) sum = c.g.node("Add", {sum, c.in[i]}, c.base);
  return sum;
}

}  // namespace

std::string emit_node(OnnxGraph& g, const Model& model, size_t k, const std::vector<std::string>& inputs) {
  const Graph<float>& graph = model.graph();
  const NodeSpec& spec = graph.spec(k);
  const std::string& t = spec.type;
  const int first = spec.inputs.empty() ? kModelInput : spec.inputs[0];
  const Shape in = first == kModelInput ? model.input_shape() : graph.out_shape(static_cast<size_t>(first));
  const bool merge_node = graph.layer(k) == nullptr;
  NodeCtx c{g, model, k, inputs, "layers." + std::to_string(k), merge_node ? Config({}) : layer_options(t, spec.layer)};
  if (merge_node) return merge(c, t);
  if (t == "dense") return dense(c, in);
  if (t == "conv2d") return conv(c);
  if (t == "maxpool2d" || t == "avgpool2d") return pool(c, t == "maxpool2d");
  if (t == "global_avgpool2d")
    return g.node("Flatten", {g.node("GlobalAveragePool", {inputs[0]}, c.base + ".pool")}, c.base,
                  {Attr::Int("axis", 1)});
  if (t == "flatten") return g.node("Flatten", {inputs[0]}, c.base, {Attr::Int("axis", 1)});
  if (t == "batchnorm") return batchnorm(c);
  if (t == "gelu") return gelu(c);
  if (t == "leaky_relu")
    return g.node("LeakyRelu", {inputs[0]}, c.base,
                  {Attr::Float("alpha", static_cast<float>(c.opt.get_float("negative_slope")))});
  if (t == "relu") return g.node("Relu", {inputs[0]}, c.base);
  if (t == "sigmoid") return g.node("Sigmoid", {inputs[0]}, c.base);
  if (t == "tanh") return g.node("Tanh", {inputs[0]}, c.base);
  if (t == "identity" || t == "dropout") return g.node("Identity", {inputs[0]}, c.base);  // inference: no dropout
  fail("{}: node {} has type '{}', which the ONNX export does not know", "model.layers", graph.label(static_cast<int>(k)),
       t);
}

}  // namespace dpt::onnx_export
