#include "train/train_config.hpp"

#include <cmath>

namespace dpt {

const OptionTable& train_options() {
  constexpr double inf = INFINITY;
  static const OptionTable t = {
      {"seed", OptType::Int, "1234", "seed for initialization and the data order", 0, inf},
      {"data.file", OptType::String, "", "HDF5 file with the data set", -inf, inf, false, {}, true},
      {"data.train_features", OptType::String, "/train/images", "training features dataset (N, ...)"},
      {"data.train_labels", OptType::String, "/train/labels", "training labels dataset (N)"},
      {"data.test_file", OptType::String, "", "HDF5 file with the test split (default: data.file)"},
      {"data.test_features", OptType::String, "/test/images", "test features dataset; empty: no test evaluation"},
      {"data.test_labels", OptType::String, "/test/labels", "test labels dataset"},
      {"data.scale", OptType::Float, "1", "features are multiplied by this after conversion to float32 (e.g. 1/255)",
       0, inf, true},
      {"data.shuffle", OptType::Bool, "true", "draw a new global sample order every epoch"},
      {"model.layers", OptType::List, "", "the layers, in order: [{type: dense, units: 512}, {type: relu}, ...]",
       -inf, inf, false, {}, true},
      {"loss", OptType::String, "cross_entropy", "loss function", -inf, inf, false, {"cross_entropy"}},
      {"optimizer.name", OptType::String, "sgd", "optimizer", -inf, inf, false, {"sgd"}},
      {"optimizer.lr", OptType::Float, "0.05", "learning rate", 0, inf, true},
      {"optimizer.momentum", OptType::Float, "0.9", "SGD momentum", 0, 1, false},
      {"optimizer.weight_decay", OptType::Float, "0", "L2 weight decay added to the gradient", 0, inf},
      {"optimizer.nesterov", OptType::Bool, "false", "Nesterov momentum"},
      {"schedule.name", OptType::String, "constant", "learning-rate schedule over the whole run", -inf, inf, false,
       {"constant", "cosine"}},
      {"schedule.min_lr", OptType::Float, "0", "cosine: learning rate at the last step", 0, inf},
      {"train.epochs", OptType::Int, "10", "passes over the training data", 1, inf},
      {"train.batch_size", OptType::Int, "128", "GLOBAL batch size, split across the ranks", 1, inf},
      {"train.eval_batch_size", OptType::Int, "1000", "batch size per rank for evaluation", 1, inf},
      {"train.max_steps", OptType::Int, "0", "stop after this many optimizer steps (0: no limit)", 0, inf},
      {"log.progress_interval", OptType::Float, "10", "seconds between progress lines when stderr is not a terminal",
       0, inf, true},
      {"log.all_ranks", OptType::Bool, "false", "every rank logs (default: rank 0 only, others warnings)"},
      {"runtime.threads", OptType::Int, "0", "threads per rank (0: the rank's cores; never oversubscribed)", 0, 4096},
  };
  return t;
}

TrainSettings read_settings(const Config& c) {
  TrainSettings s;
  s.seed = static_cast<uint64_t>(c.get_int("seed"));
  s.train = {c.get_string("data.file"), c.get_string("data.train_features"), c.get_string("data.train_labels"),
             "data.train_features", "data.train_labels"};
  const std::string test_file = c.has("data.test_file") ? c.get_string("data.test_file") : "";
  const std::string test_features = c.has("data.test_features") ? c.get_string("data.test_features") : "";
  if (!test_features.empty())
    s.test = {test_file.empty() ? s.train.file : test_file, test_features, c.get_string("data.test_labels"),
              "data.test_features", "data.test_labels"};
  s.scale = static_cast<float>(c.get_float("data.scale"));
  s.shuffle = c.get_bool("data.shuffle");
  s.layers = c.get_node("model.layers");
  s.layers_origin = c.origin("model.layers");
  s.loss = c.get_string("loss");
  s.optimizer = c.get_string("optimizer.name");
  s.lr = static_cast<float>(c.get_float("optimizer.lr"));
  s.momentum = static_cast<float>(c.get_float("optimizer.momentum"));
  s.weight_decay = static_cast<float>(c.get_float("optimizer.weight_decay"));
  s.nesterov = c.get_bool("optimizer.nesterov");
  s.schedule.name = c.get_string("schedule.name");
  s.schedule.base_lr = s.lr;
  s.schedule.min_lr = c.get_float("schedule.min_lr");
  s.epochs = c.get_int("train.epochs");
  s.batch_size = c.get_int("train.batch_size");
  s.eval_batch_size = c.get_int("train.eval_batch_size");
  s.max_steps = c.get_int("train.max_steps");
  s.progress_interval = c.get_float("log.progress_interval");
  s.log_all_ranks = c.get_bool("log.all_ranks");
  s.threads = static_cast<int>(c.get_int("runtime.threads"));
  return s;
}

}  // namespace dpt
