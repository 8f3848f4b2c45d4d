#include "checkpoint/model_graph.hpp"

#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "layers/layer_factory.hpp"

namespace dpt {

namespace {

// Every option of the node's type with its value as the layer factory read it (defaults filled).
nlohmann::json options_of(const NodeSpec& n) {
  nlohmann::json o = nlohmann::json::object();
  const OptionTable* table = nullptr;
  for (const auto& [type, t] : layer_types())
    if (type == n.type) table = &t;
  if (!table) return o;  // a merge node (add, concat): no options
  const Config c = layer_options(n.type, n.layer);
  for (const OptionSpec& s : *table) {
    if (s.type == OptType::Int) o[s.key] = c.get_int(s.key);
    if (s.type == OptType::Float) o[s.key] = c.get_float(s.key);
    if (s.type == OptType::Bool) o[s.key] = c.get_bool(s.key);
    if (s.type == OptType::String) o[s.key] = c.get_string(s.key);
    if (s.type == OptType::Ints && c.get_node(s.key).IsSequence()) o[s.key] = c.get_ints(s.key);  // per axis
    if (s.type == OptType::Ints && !c.get_node(s.key).IsSequence()) o[s.key] = c.get_int(s.key);
  }
  return o;
}

nlohmann::json names_of(const ParamStore& store, size_t k) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& v : store.views())
    if (v.layer == k) names.push_back(v.name);
  return names;
}

}  // namespace

std::string graph_json(const Model& model) {
  nlohmann::json nodes = nlohmann::json::array();
  const Graph<float>& g = model.graph();
  for (size_t k = 0; k < g.size(); ++k) {
    const NodeSpec& n = g.spec(k);
    nodes.push_back({{"index", k},
                     {"type", n.type},
                     {"name", n.name},
                     {"inputs", n.inputs},
                     {"options", options_of(n)},
                     {"trainable", n.trainable},
                     {"output_shape", g.out_shape(k)},
                     {"params", names_of(model.store(), k)},
                     {"buffers", names_of(model.buffers(), k)}});
  }
  return nodes.dump();
}

}  // namespace dpt
