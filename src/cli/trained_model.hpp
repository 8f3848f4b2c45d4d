// A model written by `dptrain train`, loaded for evaluate and predict: its stored config, the
// network with its parameters, and a data split checked against its input shape.
#pragma once
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "checkpoint/model_file.hpp"
#include "comm/comm.hpp"
#include "h5/sample_source.hpp"
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

// Reads `path` and builds the network for batches of at most max_batch samples; throws naming
// --batch when their activations cannot fit this rank's share of the node's memory (local_ranks:
// the ranks on this node).
TrainedModel load_trained_model(const std::string& path, int64_t max_batch, int local_ranks = 1);

// Opens a split; throws naming the file, the dataset and both shapes when its samples are not
// the model's input shape.
SampleSource open_split_for(const TrainedModel& m, const SplitPaths& paths);
// The split evaluate/predict read: `data` (or, when empty, the file(s) of the model config's test
// split, else of its training data) with the datasets `features` and `labels` (when empty: the
// model config's data.test_features / data.test_labels, else /test/images, /test/labels).
SampleSource open_eval_split(const TrainedModel& m, const std::string& data, const std::string& features,
                             const std::string& labels);

// The options evaluate and predict share, and what they name.
struct EvalDataArgs {
  std::string model, data, features, labels;  // empty data/features/labels: the model config's test split
  int64_t batch = 1000;
};
// --model, --data, --features, --labels (labels_help: what the command does with them), --batch.
void add_eval_data_options(CLI::App* cmd, EvalDataArgs& a, const std::string& labels_help);

// This rank's part of the work: the model, the split the options name, and this rank's rows [lo, hi)
// of it (threads configured for this rank).
struct EvalInput {
  TrainedModel m;
  SampleSource src;
  int64_t lo = 0, hi = 0;
};
EvalInput open_eval_input(const EvalDataArgs& a, const Comm& world);

}  // namespace dpt::cli
