// Builds layers from the YAML model description, one entry of model.layers each:
//   - {type: dense, units: 512, bias: true, init: torch_default}
//   - {type: relu}
// Every key is checked against the layer type's own table; errors name the layer index and type.
#pragma once
#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/options.hpp"
#include "layers/layer.hpp"

namespace dpt {

// The keys each layer type accepts (for validation, --help and the docs).
const std::vector<std::pair<std::string, OptionTable>>& layer_types();

// spec: one list entry; index: its node index in the model (seeds dropout); in: per-sample input
// shape; origin: where the list came from (config file name) for error messages; place: the
// entry's place in the config (default "model.layers[index]"; a layer in a block has a longer one).
// The options of an entry of type `type` (one make_layer accepted) as the factory reads them:
// every key of the type's table, defaults filled in (model files and exporters describe layers so).
Config layer_options(const std::string& type, const YAML::Node& spec);

template <class T>
std::unique_ptr<Layer<T>> make_layer(const YAML::Node& spec, size_t index, const Shape& in, const std::string& origin,
                                     const std::string& place = "");

}  // namespace dpt
