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

// A per-axis option of an N-d layer as `rank` values (one int stands for every axis).
std::vector<int64_t> per_axis(const NodeCtx& c, const std::string& key, size_t rank) {
  std::vector<int64_t> v = c.opt.get_ints(key);
  if (v.size() == 1) v.assign(rank, v[0]);
  return v;
}

// conv1d / conv3d (ONNX Conv) and conv_transpose2d / 3d (ONNX ConvTranspose, weight (C_in, C_out, k...)
// as PyTorch's): per-axis kernel_shape, strides, pads (begins, then ends), dilations.
std::string conv_nd(const NodeCtx& c, size_t rank, bool transposed) {
  std::vector<int64_t> pads = per_axis(c, "padding", rank);
  pads.insert(pads.end(), pads.begin(), pads.end());
  std::vector<std::string> in = {c.in[0], param(c, "weight")};
  if (const std::string b = param(c, "bias"); !b.empty()) in.push_back(b);
  std::vector<Attr> a = {Attr::Ints("kernel_shape", per_axis(c, "kernel_size", rank)),
                         Attr::Ints("strides", per_axis(c, "stride", rank)), Attr::Ints("pads", pads),
                         Attr::Ints("dilations", per_axis(c, "dilation", rank)),
                         Attr::Int("group", c.opt.get_int("groups"))};
  if (transposed) a.push_back(Attr::Ints("output_padding", per_axis(c, "output_padding", rank)));
  return c.g.node(transposed ? "ConvTranspose" : "Conv", in, c.base, a);
}

// maxpool/avgpool over the in.size() - 1 spatial axes of in (C, ...)
std::string pool(const NodeCtx& c, bool max, const Shape& in) {
  const size_t n = in.size() - 1;
  const int64_t k = c.opt.get_int("kernel_size"), p = c.opt.get_int("padding");
  const int64_t s = c.opt.get_int("stride") == 0 ? k : c.opt.get_int("stride");
  std::vector<Attr> a = {Attr::Ints("kernel_shape", std::vector<int64_t>(n, k)),
                         Attr::Ints("strides", std::vector<int64_t>(n, s)),
                         Attr::Ints("pads", std::vector<int64_t>(2 * n, p))};
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
  return c.g.node(
      "BatchNormalization",
      {c.in[0], param(c, "weight"), param(c, "bias"), tensor(c, bufs, "running_mean"), tensor(c, bufs, "running_var")},
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
    const std::string inner =
        g.node("Add", {x, g.node("Mul", {x3, g.scalar(0.044715f)}, c.base + ".cx3")}, c.base + ".in");
    t = g.node("Tanh", {g.node("Mul", {inner, g.scalar(static_cast<float>(std::sqrt(2.0 / M_PI)))}, c.base + ".arg")},
               c.base + ".tanh");
  } else {
    t = g.node("Erf", {g.node("Mul", {x, g.scalar(static_cast<float>(1.0 / std::sqrt(2.0)))}, c.base + ".arg")},
               c.base + ".erf");
  }
  const std::string half =
      g.node("Mul", {g.node("Add", {t, g.scalar(1.0f)}, c.base + ".one_plus"), g.scalar(0.5f)}, c.base + ".phi");
  return g.node("Mul", {x, half}, c.base);
}

// upsample: Resize by (1, 1, k, ...) picking x[floor(o / k)] (asymmetric coordinates, floor), as
// PyTorch's nearest mode does.
std::string upsample(const NodeCtx& c, const Shape& in) {
  std::vector<float> scales(in.size() + 1, 1.0f);
  for (size_t a = 2; a < scales.size(); ++a) scales[a] = static_cast<float>(c.opt.get_int("scale_factor"));
  const std::string sc = c.g.initializer(c.base + ".scales", {static_cast<int64_t>(scales.size())}, scales.data());
  return c.g.node("Resize", {c.in[0], "", sc}, c.base,
                  {Attr::Str("mode", "nearest"), Attr::Str("coordinate_transformation_mode", "asymmetric"),
                   Attr::Str("nearest_mode", "floor")});
}

// pad: Pad with zeros on both sides of the spatial axes; crop: Slice of [crop, size - crop) on each.
std::string pad_crop(const NodeCtx& c, const Shape& in, bool pad) {
  const int64_t n = static_cast<int64_t>(in.size()) - 1;
  if (pad) {
    std::vector<int64_t> pads(static_cast<size_t>(2 * (n + 2)), 0);  // begins of (N, C, ...), then ends
    for (int64_t a = 2; a < n + 2; ++a)
      pads[static_cast<size_t>(a)] = pads[static_cast<size_t>(n + 2 + a)] = c.opt.get_int("padding");
    return c.g.node("Pad", {c.in[0], c.g.int_initializer(c.base + ".pads", pads)}, c.base,
                    {Attr::Str("mode", "constant")});
  }
  const int64_t by = c.opt.get_int("crop");
  std::vector<int64_t> starts, ends, axes;
  for (int64_t a = 2; a < n + 2; ++a)
    starts.push_back(by), ends.push_back(in[static_cast<size_t>(a - 1)] - by), axes.push_back(a);
  return c.g.node("Slice",
                  {c.in[0], c.g.int_initializer(c.base + ".starts", starts),
                   c.g.int_initializer(c.base + ".ends", ends), c.g.int_initializer(c.base + ".axes", axes)},
                  c.base);
}

// layernorm: LayerNormalization over axes 1.. (opset 17); without elementwise_affine, scale 1 and no bias.
std::string layernorm(const NodeCtx& c, const Shape& in) {
  std::string scale = param(c, "weight"), bias = param(c, "bias");
  if (scale.empty()) {
    const std::vector<float> ones(static_cast<size_t>(numel(in)), 1.0f);
    scale = c.g.initializer(c.base + ".ones", in, ones.data());
  }
  std::vector<std::string> args = {c.in[0], scale};
  if (!bias.empty()) args.push_back(bias);
  return c.g.node("LayerNormalization", args, c.base,
                  {Attr::Int("axis", 1), Attr::Float("epsilon", static_cast<float>(c.opt.get_float("eps")))});
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
  if (t == "conv1d" || t == "conv3d") return conv_nd(c, t == "conv1d" ? 1 : 3, false);
  if (t == "conv_transpose2d" || t == "conv_transpose3d") return conv_nd(c, t == "conv_transpose2d" ? 2 : 3, true);
  if (t == "maxpool2d" || t == "avgpool2d" || t == "maxpool1d" || t == "avgpool1d" || t == "maxpool3d" ||
      t == "avgpool3d")
    return pool(c, t.rfind("max", 0) == 0, in);
  if (t == "upsample") return upsample(c, in);
  if (t == "pad" || t == "crop") return pad_crop(c, in, t == "pad");
  if (t == "layernorm") return layernorm(c, in);
  if (t == "global_avgpool2d" || t == "global_avgpool")
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
  fail("{}: node {} has type '{}', which the ONNX export does not know", "model.layers",
       graph.label(static_cast<int>(k)), t);
}

}  // namespace dpt::onnx_export
