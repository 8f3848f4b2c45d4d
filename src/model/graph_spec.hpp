// The layer graph as the config describes it, expanded to a flat list of nodes in config order
// (which is a topological order: a layer may only name earlier layers as its inputs).
//   - {type: conv2d, out_channels: 16, kernel_size: 3, padding: 1, name: c1}   # name: optional
//   - {type: relu}                                    # input: the previous layer
//   - {type: add, inputs: [c1, input]}                # merge layers name their inputs
//   - {type: block, name: stage1, repeat: 3, layers: [...]}   # a body repeated, chained
// In a block body, `input` is the body's input (the previous repeat's output) and names are
// local to one repeat (shadowing outer names); a node's full name is "stage1.2.c1". A block's own
// name refers to its output. The list entry that has no inputs takes the previous layer's output
// (the first one: the model input), so a plain list is a chain, exactly as before graphs.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace dpt {

constexpr int kModelInput = -1;  // NodeSpec::inputs entry: the model's input

struct NodeSpec {
  std::string type;         // "conv2d", "add", ...
  std::string name;         // full name ("stage1.2.c1"); empty when the config gives none
  std::string place;        // "model.layers[4].layers[2] (block 'stage1', repeat 3 of 3)" for errors
  YAML::Node layer;         // the entry's keys without name and inputs (the layer's own options)
  std::vector<int> inputs;  // node indices (kModelInput: the model's input)
  bool chained = false;     // no inputs given: the previous node (or the model input)
  bool trainable = true;    // `trainable: false`: the optimizer leaves this node's parameters as they are
};

// Any entry may carry `trainable: false` (kept out of the layer's options, in NodeSpec::trainable).
// Throws with the config origin and the entry's place for: a non-mapping entry, a bad name (empty,
// duplicate in its scope, or "input"), inputs that name an unknown, later or the same layer,
// block keys out of range, and a node whose output nothing uses (only the last node is the
// model's output).
std::vector<NodeSpec> expand_graph(const YAML::Node& layers, const std::string& origin);

// "name" when the node has one, else "#index": how summaries and errors refer to node k.
std::string node_label(const std::vector<NodeSpec>& nodes, int k);

}  // namespace dpt
