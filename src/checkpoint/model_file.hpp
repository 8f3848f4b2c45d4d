// The final model file, written by rank 0 when training ends and read by `dptrain evaluate`:
//   /params/<name>      one float32 dataset per parameter tensor, e.g. /params/layers.0.weight (512, 784)
//   /buffers/<name>     non-trained state, e.g. /buffers/layers.1.running_mean (32)
//   root attributes:    format = "dptrain-model", format_version = 1, config (the resolved YAML),
//                       input_shape (int64[]), epoch, step, graph (the expanded layer graph as JSON,
//                       checkpoint/model_graph.hpp; files before it lack it)
// Written atomically: temporary file, flush, fsync, rename. A crash never leaves a torn model.h5.
#pragma once
#include <string>
#include <vector>

#include "model/model.hpp"

namespace dpt {

struct ModelFileInfo {
  std::string config_yaml;
  Shape input_shape;
  int64_t epoch = 0, step = 0;
};

void save_model(const std::string& path, const Model& model, const ModelFileInfo& info);
ModelFileInfo read_model_info(const std::string& path);
// Loads the parameters into `model`, which must have the same architecture (checked per tensor).
void load_model_params(const std::string& path, Model& model);

}  // namespace dpt
