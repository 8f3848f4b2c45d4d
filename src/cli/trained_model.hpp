// A model written by `dptrain train`, loaded for evaluate and predict: its stored config, the
// network with its parameters, and a data split checked against its input shape.
#pragma once
#include <memory>
#include <string>

#include "checkpoint/model_file.hpp"
#include "data/h5_dataset.hpp"
#include "model/model.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

struct TrainedModel {
  std::string path;
  ModelFileInfo info;
  TrainSettings settings;  // from the config stored in the model file
  std::unique_ptr<Model> model;
  int64_t classes() const { return numel(model->output_shape()); }
};

// Reads `path` and builds the network for batches of at most max_batch samples.
TrainedModel load_trained_model(const std::string& path, int64_t max_batch);

// Opens a split; throws naming the file, the dataset and both shapes when its samples are not
// the model's input shape.
SampleSource open_split_for(const TrainedModel& m, const SplitPaths& paths);
// The split evaluate/predict read: `data` (or, when empty, the training data of the model's config,
// all of its files) with the datasets `features` and `labels` (named by --features/--labels).
SampleSource open_eval_split(const TrainedModel& m, const std::string& data, const std::string& features,
                             const std::string& labels);

}  // namespace dpt::cli
