#include "layers/layer_factory.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "layers/activation.hpp"
#include "layers/dense.hpp"

namespace dpt {

const std::vector<std::pair<std::string, OptionTable>>& layer_types() {
  static const std::vector<std::pair<std::string, OptionTable>> types = {
      {"dense",
       {{"units", OptType::Int, "", "output features", 1, INFINITY, false, {}, true},
        {"bias", OptType::Bool, "true", "add a learned bias"},
        {"init", OptType::String, "torch_default", "weight initializer", -INFINITY, INFINITY, false,
         {"torch_default", "he_uniform", "xavier_uniform"}}}},
      {"relu", {}},
  };
  return types;
}

template <class T>
std::unique_ptr<Layer<T>> make_layer(const YAML::Node& spec, size_t index, const Shape& in,
                                     const std::string& origin) {
  const std::string where = fmt::format("{}: model.layers[{}]", origin, index);
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

  if (type == "dense")
    return std::make_unique<Dense<T>>(in, c.get_int("units"), c.get_bool("bias"), parse_init(c.get_string("init")));
  return std::make_unique<ReLU<T>>(in);
}

template std::unique_ptr<Layer<float>> make_layer<float>(const YAML::Node&, size_t, const Shape&,
                                                         const std::string&);
template std::unique_ptr<Layer<double>> make_layer<double>(const YAML::Node&, size_t, const Shape&,
                                                           const std::string&);

}  // namespace dpt
