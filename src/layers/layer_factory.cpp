#include "layers/layer_factory.hpp"
#include "layers/init.hpp"

#include <cmath>

#include "core/config.hpp"
#include "core/error.hpp"
#include "kernels/winograd.hpp"
#include "layers/activation.hpp"
#include "layers/batchnorm.hpp"
#include "layers/conv2d.hpp"
#include "layers/conv_factory.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/layer_factory_nd.hpp"
#include "layers/pool2d.hpp"

namespace dpt {

namespace {
constexpr double inf = INFINITY;
const std::vector<std::string>& kInits = init_names();
const std::vector<std::string> kGeluForms = {"none", "tanh"};

OptionTable pool_options(const std::string& window, const std::string& padding) {
  return {{"kernel_size", OptType::Int, "", window, 1, inf, false, {}, true},
          {"stride", OptType::Int, "0", "stride (0: the kernel size)", 0, inf},
          {"padding", OptType::Int, "0", padding, 0, inf}};
}
}  // namespace

const std::vector<std::pair<std::string, OptionTable>>& layer_types() {
  static const std::vector<std::pair<std::string, OptionTable>> types = {
      {"dense",
       {{"units", OptType::Int, "", "output features", 1, inf, false, {}, true},
        {"in_features", OptType::Int, "0", "expected input features (0: inferred; else checked)", 0, inf},
        {"bias", OptType::Bool, "true", "add a learned bias"},
        {"init", OptType::String, "torch_default", "weight initializer", -inf, inf, false, kInits}}},
      {"conv2d",
       {{"out_channels", OptType::Int, "", "output channels", 1, inf, false, {}, true},
        {"kernel_size", OptType::Int, "", "square kernel size", 1, inf, false, {}, true},
        {"stride", OptType::Int, "1", "stride", 1, inf},
        {"padding", OptType::Int, "0", "zero padding on each side", 0, inf},
        {"dilation", OptType::Int, "1", "spacing of the kernel taps (a k x k kernel spans dilation*(k-1)+1 pixels)", 1,
         inf},
        {"groups", OptType::Int, "1",
         "channel groups, each convolved separately (divides the input and output channels; "
         "groups = in = out channels: depthwise)",
         1, inf},
        {"bias", OptType::Bool, "true", "add a learned bias per output channel"},
        {"init", OptType::String, "torch_default", "weight initializer", -inf, inf, false, kInits},
        {"algorithm", OptType::String, "auto",
         "auto: Winograd F(2x2, 3x3) where it fits (3x3, stride 1, dilation 1, groups 1: 2.25x fewer "
         "multiply-adds, rounding differs slightly from the direct sum's), im2col + GEMM elsewhere; im2col: always "
         "im2col + GEMM; winograd: Winograd, an error where it does not fit",
         -inf, inf, false, {"auto", "im2col", "winograd"}}}},
      {"conv1d", conv_nd_options(false)},
      {"conv3d", conv_nd_options(false)},
      {"conv_transpose2d", conv_nd_options(true)},
      {"conv_transpose3d", conv_nd_options(true)},
      {"maxpool2d",
       {{"kernel_size", OptType::Int, "", "square window", 1, inf, false, {}, true},
        {"stride", OptType::Int, "0", "stride (0: the kernel size)", 0, inf},
        {"padding", OptType::Int, "0", "padding on each side (never wins the max)", 0, inf}}},
      {"avgpool2d",
       {{"kernel_size", OptType::Int, "", "square window", 1, inf, false, {}, true},
        {"stride", OptType::Int, "0", "stride (0: the kernel size)", 0, inf},
        {"padding", OptType::Int, "0", "zero padding, counted in the average", 0, inf}}},
      {"global_avgpool2d", {}},
      {"flatten", {}},
      {"relu", {}},
      {"sigmoid", {}},
      {"tanh", {}},
      {"leaky_relu", {{"negative_slope", OptType::Float, "0.01", "slope for x <= 0 (y = slope * x there)", 0, 1}}},
      {"gelu",
       {{"approximate", OptType::String, "none", "none: exact, x * Phi(x) with erf; tanh: the tanh approximation", -inf,
         inf, false, kGeluForms}}},
      {"identity", {}},
      {"dropout", {{"p", OptType::Float, "0.5", "probability of zeroing an element in training", 0, 0.99}}},
      {"batchnorm",
       {{"momentum", OptType::Float, "0.1", "running statistics update rate", 0, 1},
        {"eps", OptType::Float, "1e-5", "added to the variance", 0, inf, true},
        {"sync", OptType::Bool, "false", "sum batch statistics across ranks (1 rank on the global batch)"}}},
      // Signals (C, L) and volumes (C, D, H, W): layers/layer_factory_nd.cpp builds them.
      {"maxpool1d", pool_options("window", "padding on each side (at most half the kernel; never wins the max)")},
      {"maxpool3d", pool_options("cubic window", "padding on each side (at most half the kernel; never wins the max)")},
      {"avgpool1d",
       pool_options("window", "zero padding on each side (at most half the kernel), counted in the average")},
      {"avgpool3d",
       pool_options("cubic window", "zero padding on each side (at most half the kernel), counted in the average")},
      {"global_avgpool", {}},
      {"upsample",
       {{"scale_factor", OptType::Int, "2",
         "nearest-neighbour factor of every spatial axis (each element copied k^d times)", 2, inf}}},
      {"pad",
       {{"padding", OptType::Int, "", "zeros added on each side of every spatial axis", 1, inf, false, {}, true}}},
      {"crop",
       {{"crop",
         OptType::Int,
         "",
         "elements removed from each side of every spatial axis (center crop)",
         1,
         inf,
         false,
         {},
         true}}},
      {"layernorm",
       {{"eps", OptType::Float, "1e-5", "added to the variance", 0, inf, true},
        {"elementwise_affine", OptType::Bool, "true", "learn a weight and a bias of the per-sample shape"}}},
  };
  return types;
}

namespace {
// (C, H, W) input check and the output size of a sliding window (k taps dilation apart); errors
// name the layer.
int64_t window_out(const std::string& where, const Shape& in, int64_t k, int64_t stride, int64_t pad, int axis,
                   int64_t dilation = 1) {
  const int64_t size = in[static_cast<size_t>(axis)], span = dilation * (k - 1) + 1;
  if (span > size + 2 * pad && dilation == 1)
    fail("{}: kernel {}x{} is larger than the padded input {}x{} (input {}, padding {})", where, k, k, in[1] + 2 * pad,
         in[2] + 2 * pad, shape_str(in), pad);
  if (span > size + 2 * pad)
    fail("{}: kernel {}x{} with dilation {} spans {}x{}, larger than the padded input {}x{} (input {}, padding {})",
         where, k, k, dilation, span, span, in[1] + 2 * pad, in[2] + 2 * pad, shape_str(in), pad);
  return (size + 2 * pad - span) / stride + 1;
}

void need_image(const std::string& where, const Shape& in) {
  if (in.size() != 3)
    fail("{}: input {} is not an image (C, H, W); put it before flatten/dense, or give the data as (N, C, H, W)", where,
         shape_str(in));
}

template <class T>
std::unique_ptr<Layer<T>> build(const std::string& type, const Config& c, size_t index, const Shape& in,
                                const std::string& where) {
  if (type == "dense") {
    const int64_t expect = c.get_int("in_features");
    if (expect != 0 && expect != numel(in))
      fail("{}: in_features = {} but its input {} has {} features", where, expect, shape_str(in), numel(in));
    return std::make_unique<Dense<T>>(in, c.get_int("units"), c.get_bool("bias"), parse_init(c.get_string("init")));
  }
  if (type == "conv2d") {
    need_image(where, in);
    const int64_t k = c.get_int("kernel_size"), s = c.get_int("stride"), p = c.get_int("padding");
    const int64_t d = c.get_int("dilation"), groups = c.get_int("groups"), out = c.get_int("out_channels");
    if (in[0] % groups != 0 || out % groups != 0)
      fail("{}: groups = {} must divide both the input channels ({}) and out_channels ({})", where, groups, in[0], out);
    window_out(where, in, k, s, p, 1, d), window_out(where, in, k, s, p, 2, d);
    const std::string algo = c.get_string("algorithm");
    if (algo == "winograd" && !kern::winograd_fits(k, k, s, d, groups))
      fail("{}: algorithm = winograd needs kernel_size 3, stride 1, dilation 1 and groups 1 (got {}, {}, {}, {}); "
           "use auto or im2col",
           where, k, s, d, groups);
    Conv2dSpec spec{out, k, k, s, p, c.get_bool("bias"), parse_init(c.get_string("init")), d, groups};
    spec.algo = algo == "im2col" ? ConvAlgo::Im2col : algo == "winograd" ? ConvAlgo::Winograd : ConvAlgo::Auto;
    return std::make_unique<Conv2d<T>>(in, spec);
  }
  if (is_conv_nd(type)) return build_conv_nd<T>(type, c, in, where);
  if (type == "maxpool2d" || type == "avgpool2d") {
    need_image(where, in);
    const int64_t k = c.get_int("kernel_size"), p = c.get_int("padding");
    const int64_t s = c.get_int("stride") == 0 ? k : c.get_int("stride");
    if (type == "maxpool2d" && 2 * p > k) fail("{}: padding {} is more than half the kernel {}", where, p, k);
    window_out(where, in, k, s, p, 1), window_out(where, in, k, s, p, 2);
    return std::make_unique<Pool2d<T>>(in, type == "maxpool2d" ? Pool2d<T>::Kind::Max : Pool2d<T>::Kind::Avg, k, s, p);
  }
  if (type == "global_avgpool2d") {
    need_image(where, in);
    return std::make_unique<GlobalAvgPool2d<T>>(in);
  }
  if (type == "flatten") return std::make_unique<Flatten<T>>(in);
  if (type == "relu") return std::make_unique<Activation<T>>(in, Act::Relu);
  if (type == "sigmoid") return std::make_unique<Activation<T>>(in, Act::Sigmoid);
  if (type == "tanh") return std::make_unique<Activation<T>>(in, Act::Tanh);
  if (type == "leaky_relu") return std::make_unique<Activation<T>>(in, Act::LeakyRelu, c.get_float("negative_slope"));
  if (type == "gelu")
    return std::make_unique<Activation<T>>(in, c.get_string("approximate") == "tanh" ? Act::GeluTanh : Act::Gelu);
  if (type == "identity") return std::make_unique<Activation<T>>(in, Act::Identity);
  if (type == "dropout") return std::make_unique<Dropout<T>>(in, c.get_float("p"), index);
  if (auto layer = build_nd_layer<T>(type, c, in, where)) return layer;
  if (in.size() < 1 || in.size() > 4)
    fail("{}: batchnorm needs features (D), signals (C, L), images (C, H, W) or volumes (C, D, H, W), got {}", where,
         shape_str(in));
  return std::make_unique<BatchNorm<T>>(in, c.get_float("momentum"), c.get_float("eps"), c.get_bool("sync"));
}
}  // namespace

Config layer_options(const std::string& type, const YAML::Node& spec) {
  for (const auto& [name, table] : layer_types()) {
    if (name != type) continue;
    Config c(table);
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (key != "type") c.set(key, it->second, "layer options");
    }
    return c;
  }
  fail("internal: layer_options of unknown layer type '{}'", type);
}

template <class T>
std::unique_ptr<Layer<T>> make_layer(const YAML::Node& spec, size_t index, const Shape& in, const std::string& origin,
                                     const std::string& place) {
  const std::string where =
      fmt::format("{}: {}", origin, place.empty() ? fmt::format("model.layers[{}]", index) : place);
  if (!spec.IsMap() || !spec["type"])
    fail("{}: each layer must be a mapping with a 'type' (e.g. {{type: dense, units: 128}}), got '{}'", where,
         YAML::Dump(spec));
  const std::string type = spec["type"].as<std::string>();
  const OptionTable* table = nullptr;
  std::vector<std::string> names;
  for (const auto& [name, t] : layer_types()) {
    names.push_back(name);
    if (name == type) table = &t;
  }
  if (!table) fail("{}: unknown layer type '{}' (known: {})", where, type, fmt::join(names, ", "));

  // Validate the keys and values with the same machinery as the top-level config.
  Config c(*table);
  const std::string layer_where = fmt::format("{} ({})", where, type);
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (key != "type") c.set(key, it->second, layer_where);
  }
  c.check_required(layer_where);
  return build<T>(type, c, index, in, layer_where);
}

template std::unique_ptr<Layer<float>> make_layer<float>(const YAML::Node&, size_t, const Shape&, const std::string&,
                                                         const std::string&);
template std::unique_ptr<Layer<double>> make_layer<double>(const YAML::Node&, size_t, const Shape&, const std::string&,
                                                           const std::string&);

}  // namespace dpt
