#include "cli/trained_model.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/partition.hpp"
#include "kernels/threads.hpp"

namespace dpt::cli {

TrainedModel load_trained_model(const std::string& path, int64_t max_batch, int local_ranks) {
  TrainedModel m;
  m.path = path;
  m.info = read_model_info(path);
  Config cfg(train_options());
  cfg.load_yaml(YAML::Load(m.info.config_yaml), path + ":config");
  m.settings = read_settings(cfg);
  const Model probe(m.settings.layers, m.info.input_shape, 1, path + ":config");
  check_memory({{fmt::format("{}: batches of --batch {} samples ({} floats each in the network)", path, max_batch,
                             probe.floats_per_sample()),
                 mul_bytes(max_batch, 4 * probe.floats_per_sample()), "lower --batch"}},
               memory_available(local_ranks));
  m.model = std::make_unique<Model>(m.settings.layers, m.info.input_shape, max_batch, path + ":config");
  load_model_params(path, *m.model);
  return m;
}

SampleSource open_split_for(const TrainedModel& m, const SplitPaths& paths) {
  SampleSource src(paths, m.settings.data.scale);
  if (src.sample_shape() != m.info.input_shape)
    fail("{}: samples '{}' are {} but the model {} takes {}", paths.file, paths.features, shape_str(src.sample_shape()),
         m.path, shape_str(m.info.input_shape));
  return src;
}

SampleSource open_eval_split(const TrainedModel& m, const std::string& data, const std::string& features,
                             const std::string& labels) {
  // Defaults: the datasets the run tested on (data.test_features/test_labels), else /test/...
  const SplitPaths& t = m.settings.data.test;
  SplitPaths paths{data, features, labels, "--features", "--labels", {}};
  if (paths.features.empty()) paths.features = t.features.empty() ? "/test/images" : t.features;
  if (paths.labels.empty()) paths.labels = t.labels.empty() ? "/test/labels" : t.labels;
  if (data.empty()) {  // the test split's file (data.test_file, else data.file)
    const SplitPaths& from = t.features.empty() ? m.settings.data.train : t;
    paths.file = from.file, paths.files = from.files;
  }
  paths.float_targets = m.settings.data.train.float_targets;  // regression targets with loss mse
  paths.sample_shape = m.settings.data.train.sample_shape;    // the view the model was trained on
  return open_split_for(m, paths);
}

void add_eval_data_options(CLI::App* cmd, EvalDataArgs& a, const std::string& labels_help) {
  cmd->add_option("--model,-m", a.model, "model file written by train (RUN_DIR/model.h5)")->required();
  cmd->add_option("--data,-d", a.data, "HDF5 file (default: the model config's data.test_file, else its data.file)");
  cmd->add_option("--features", a.features,
                  "features dataset (default: the model config's data.test_features, else /test/images)");
  cmd->add_option("--labels", a.labels,
                  labels_help + " (default: the model config's data.test_labels, else /test/labels)");
  cmd->add_option("--batch", a.batch, "batch size per rank")->capture_default_str()->check(CLI::PositiveNumber);
}

EvalInput open_eval_input(const EvalDataArgs& a, const Comm& world) {
  kern::configure_threads(kern::auto_threads(world.local_size()));
  TrainedModel m = load_trained_model(a.model, a.batch, world.local_size());
  SampleSource src = open_eval_split(m, a.data, a.features, a.labels);
  const auto [lo, hi] = block_range(src.size(), world.rank(), world.size());
  return {std::move(m), std::move(src), lo, hi};
}

}  // namespace dpt::cli
