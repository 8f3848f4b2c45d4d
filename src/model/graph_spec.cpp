#include "model/graph_spec.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "core/error.hpp"

namespace dpt {

namespace {

struct Scope {
  const Scope* parent = nullptr;
  int input = kModelInput;           // what `input` names here
  std::string prefix;                // of full names ("stage1.2.")
  std::map<std::string, int> names;  // local name -> node
};

class Expander {
 public:
  Expander(const YAML::Node& root, std::string origin) : origin_(std::move(origin)) { collect(root); }

  // Appends the nodes of `list` (at `path`) to out_; prev: the node a chained entry takes.
  void list(const YAML::Node& list, const std::string& path, Scope& scope, int& prev, const std::string& context) {
    if (!list.IsSequence() || list.size() == 0)
      fail("{}: {} must be a non-empty list of layers{}", origin_, path, context);
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node e = list[i];
      const std::string place = fmt::format("{}[{}]{}", path, i, context);
      if (!e.IsMap() || !e["type"] || !e["type"].IsScalar())
        fail("{}: {}: each layer must be a mapping with a 'type' (e.g. {{type: dense, units: 128}}), got '{}'", origin_,
             place, YAML::Dump(e));
      if (e["type"].as<std::string>() == "block")
        block(e, fmt::format("{}[{}]", path, i), context, scope, prev);
      else
        node(e, place, scope, prev);
    }
  }

  std::vector<NodeSpec> take() { return std::move(out_); }

 private:
  void collect(const YAML::Node& list) {  // every name the config gives, for "names a later layer"
    if (!list.IsSequence()) return;
    for (const auto& e : list) {
      if (!e.IsMap()) continue;
      if (e["name"] && e["name"].IsScalar()) all_names_.insert(e["name"].as<std::string>());
      if (e["layers"]) collect(e["layers"]);
    }
  }

  std::string name_of(const YAML::Node& e, const std::string& where, const Scope& scope) const {
    if (!e["name"]) return "";
    if (!e["name"].IsScalar() || e["name"].as<std::string>().empty())
      fail("{}: {}: name must be a non-empty string, got '{}'", origin_, where, YAML::Dump(e["name"]));
    const std::string n = e["name"].as<std::string>();
    if (n == "input") fail("{}: {}: name 'input' is reserved (it names the model's or block's input)", origin_, where);
    if (scope.names.count(n))
      fail("{}: {}: name '{}' is already used by {} in the same list", origin_, where, n,
           out_[static_cast<size_t>(scope.names.at(n))].place);
    return n;
  }

  int resolve(const std::string& ref, const std::string& where, const Scope& scope, const std::string& self) const {
    if (ref == "input") return scope.input;
    for (const Scope* s = &scope; s; s = s->parent)
      if (auto it = s->names.find(ref); it != s->names.end()) return it->second;
    if (ref == self) fail("{}: {}: inputs name the layer itself ('{}'): a graph has no cycles", origin_, where, ref);
    if (all_names_.count(ref))
      fail(
          "{}: {}: inputs name '{}', which is not an earlier layer in reach (inputs may only name earlier layers, "
          "in this list or an enclosing one; a graph has no cycles)",
          origin_, where, ref);
    fail("{}: {}: inputs name an unknown layer '{}' (give that layer `name: {}`, or use 'input')", origin_, where, ref,
         ref);
  }

  std::vector<int> inputs_of(const YAML::Node& e, const std::string& where, const Scope& scope, const std::string& self,
                             int prev) const {
    if (!e["inputs"]) return {prev};
    const YAML::Node in = e["inputs"];
    std::vector<std::string> refs;
    if (in.IsScalar())
      refs.push_back(in.as<std::string>());
    else if (in.IsSequence())
      for (const auto& r : in) {
        if (!r.IsScalar())
          fail("{}: {}: inputs must be a list of layer names, got '{}'", origin_, where, YAML::Dump(in));
        refs.push_back(r.as<std::string>());
      }
    if (refs.empty() || (!in.IsScalar() && !in.IsSequence()))
      fail("{}: {}: inputs must be a non-empty list of layer names, got '{}'", origin_, where, YAML::Dump(in));
    std::vector<int> ids;
    for (const auto& r : refs) ids.push_back(resolve(r, where, scope, self));
    return ids;
  }

  bool trainable_of(const YAML::Node& e, const std::string& where) const {
    if (!e["trainable"]) return true;
    bool v = true;
    if (!e["trainable"].IsScalar() || !YAML::convert<bool>::decode(e["trainable"], v))
      fail("{}: {}: trainable must be true or false, got '{}'", origin_, where, YAML::Dump(e["trainable"]));
    return v;
  }

  void node(const YAML::Node& e, const std::string& place, Scope& scope, int& prev) {
    NodeSpec n;
    n.type = e["type"].as<std::string>();
    n.place = place;
    const std::string local = name_of(e, place, scope);
    n.name = local.empty() ? "" : scope.prefix + local;
    n.inputs = inputs_of(e, place, scope, local, prev);
    n.chained = !e["inputs"];
    n.trainable = trainable_of(e, place);
    n.layer = YAML::Node(YAML::NodeType::Map);
    for (auto it = e.begin(); it != e.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      // A clone: assigning the config's own node would merge the config's node memory with this
      // one's, and the config would grow with every model built from it.
      if (key != "name" && key != "inputs" && key != "trainable") n.layer[key] = YAML::Clone(it->second);
    }
    prev = static_cast<int>(out_.size());
    if (!local.empty()) scope.names[local] = prev;
    out_.push_back(std::move(n));
  }

  void block(const YAML::Node& e, const std::string& path, const std::string& context, Scope& scope, int& prev) {
    const std::string where = path + context + " (block)";
    for (auto it = e.begin(); it != e.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (key != "type" && key != "name" && key != "repeat" && key != "layers" && key != "inputs" && key != "trainable")
        fail("{}: {}: unknown key '{}' (a block has: name, repeat, layers, inputs, trainable)", origin_, where, key);
    }
    int64_t repeat = 1;
    if (e["repeat"]) {
      try {
        repeat = e["repeat"].as<int64_t>();
      } catch (const YAML::Exception&) {
        repeat = 0;
      }
      if (repeat < 1 || repeat > 10000)
        fail("{}: {}: repeat must be an integer in [1, 10000], got '{}'", origin_, where, YAML::Dump(e["repeat"]));
    }
    if (!e["layers"]) fail("{}: {}: a block needs layers: [...]", origin_, where);
    const std::string local = name_of(e, where, scope);
    const std::vector<int> in = inputs_of(e, where, scope, local, prev);
    if (in.size() != 1) fail("{}: {}: a block takes one input, got {}", origin_, where, in.size());
    const std::string base = scope.prefix + (local.empty() ? fmt::format("block{}", out_.size()) : local);
    const bool trainable = trainable_of(e, where);  // false: freezes every layer of the body
    const size_t first = out_.size();
    int cur = in[0];
    for (int64_t r = 0; r < repeat; ++r) {
      Scope inner{&scope, cur, fmt::format("{}.{}.", base, r), {}};
      const std::string ctx =
          fmt::format(" (block{}, repeat {} of {})", local.empty() ? "" : " '" + local + "'", r + 1, repeat);
      list(e["layers"], path + ".layers", inner, cur, ctx);
    }
    if (!trainable)
      for (size_t k = first; k < out_.size(); ++k) out_[k].trainable = false;
    prev = cur;
    if (!local.empty()) scope.names[local] = cur;
  }

  std::string origin_;
  std::set<std::string> all_names_;
  std::vector<NodeSpec> out_;
};

}  // namespace

std::string node_label(const std::vector<NodeSpec>& nodes, int k) {
  if (k == kModelInput) return "input";
  const NodeSpec& n = nodes[static_cast<size_t>(k)];
  return n.name.empty() ? fmt::format("#{}", k) : n.name;
}

std::vector<NodeSpec> expand_graph(const YAML::Node& layers, const std::string& origin) {
  if (!layers.IsSequence() || layers.size() == 0) fail("{}: model.layers must be a non-empty list of layers", origin);
  Expander ex(layers, origin);
  Scope top;
  int prev = kModelInput;
  ex.list(layers, "model.layers", top, prev, "");
  std::vector<NodeSpec> nodes = ex.take();
  std::vector<bool> used(nodes.size(), false);
  for (const NodeSpec& n : nodes)
    for (int i : n.inputs)
      if (i != kModelInput) used[static_cast<size_t>(i)] = true;
  for (size_t k = 0; k + 1 < nodes.size(); ++k)
    if (!used[k])
      fail(
          "{}: {} ({}{}): its output is never used; only the last layer is the model's output (name it in a later "
          "layer's inputs, or remove it)",
          origin, nodes[k].place, nodes[k].type, nodes[k].name.empty() ? "" : " '" + nodes[k].name + "'");
  return nodes;
}

}  // namespace dpt
