// The expanded layer graph of a model as JSON, stored in model files (attribute `graph`) so that
// other tools (tools/dptrain_torch.py) rebuild the network without re-implementing the config's
// blocks, names and defaults:
//   [{"index": k, "type": "conv2d", "name": "stage1.0.main" or "", "inputs": [k-1] (-1: the model
//     input), "options": {every key of the type with its resolved value, defaults included},
//     "trainable": true, "output_shape": [16, 28, 28], "params": ["layers.k.weight", ...],
//     "buffers": ["layers.k.running_mean", ...]}, ...]
#pragma once
#include <string>

#include "model/model.hpp"

namespace dpt {

std::string graph_json(const Model& model);

}  // namespace dpt
