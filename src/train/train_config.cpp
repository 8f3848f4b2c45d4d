#include "train/train_config.hpp"

#include <cmath>
#include <cstdint>

#include "core/error.hpp"
#include "eval/evaluator.hpp"
#include "kernels/threads.hpp"

namespace dpt {

namespace {
constexpr double inf = INFINITY;

const OptionTable& seed_options() {
  static const OptionTable t = {option_spec("seed", OptType::Int, "1234",
                                            "seed for initialization, data order, validation split and dropout", 0)};
  return t;
}

const OptionTable& model_options() {
  static const OptionTable t = {
      {"model.layers",
       OptType::List,
       "",
       "the layers, in order: [{type: dense, units: 512}, {type: relu}, ...]; each takes the previous one's output "
       "unless it names inputs (a graph: docs/model.md)",
       -inf,
       inf,
       false,
       {},
       true},
      choice_spec("loss", "cross_entropy",
                  "cross_entropy: classification (integer labels); mse: regression (mean squared error; float or "
                  "integer targets (N) or (N, T), T = the model's outputs)",
                  {"cross_entropy", "mse"}),
      option_spec("loss_ignore_index", OptType::String, "",
                  "cross_entropy: labels equal to this integer add no loss, no gradient and no count (PyTorch's "
                  "ignore_index, e.g. 255 for unlabeled pixels; empty: none). The loss is the sum over the other "
                  "labels over (global batch x labels per sample) (docs/dense.md)"),
  };
  return t;
}

const OptionTable& loop_options() {
  static const OptionTable t = {
      option_spec("train.epochs", OptType::Int, "10", "passes over the training data", 1),
      option_spec("train.batch_size", OptType::Int, "128", "GLOBAL batch per optimizer step, split across the ranks",
                  1),
      option_spec("train.grad_accumulation", OptType::Int, "1",
                  "micro-batches per rank per step (same result, less memory)", 1),
      option_spec("train.eval_batch_size", OptType::Int, "256",
                  "batch size per rank for evaluation (memory: activations of this many samples)", 1),
      option_spec("train.max_steps", OptType::Int, "0", "stop after this many optimizer steps (0: no limit)", 0),
      option_spec("train.deterministic", OptType::Bool, "false",
                  "bit-identical weights on any rank count that divides train.micro_shards "
                  "(docs/reproducibility.md)"),
      option_spec("train.micro_shards", OptType::Int, "4",
                  "train.deterministic: fixed pieces of each global batch, the unit of the exact gradient sum", 1),
      option_spec("train.init_from", OptType::String, "",
                  "HDF5 file of initial weights: a PyTorch state_dict (datasets layers.K.weight, ...) or a "
                  "model.h5; every parameter is shape-checked (docs/interop.md; empty: random initialization)"),
      choice_spec("train.init_from_match", "name",
                  "how init_from's tensors are found: by dptrain's names, or by position (the file's tensors in "
                  "order, for a state_dict with other names, e.g. an nn.Sequential's)",
                  {"name", "position"}),
      option_spec("train.clip_grad_norm", OptType::Float, "0", "clip the global gradient norm to this (0: off)", 0),
      choice_spec("train.nonfinite", "stop", "a NaN/Inf loss or gradient: stop, or skip the step", {"stop", "skip"}),
      choice_spec("early_stopping.metric", "val_loss",
                  "validation metric that selects the model (val_accuracy: classification, per position with "
                  "class maps; val_miou: cross_entropy with class maps (mean IoU); val_rmse, val_mae, val_r2: mse)",
                  {"val_loss", "val_accuracy", "val_miou", "val_rmse", "val_mae", "val_r2"}),
      option_spec("early_stopping.patience", OptType::Int, "0",
                  "stop after this many epochs without improvement (0: off)", 0),
      option_spec("early_stopping.min_delta", OptType::Float, "0", "smallest change that counts as an improvement", 0),
  };
  return t;
}

const OptionTable& process_options() {
  static const OptionTable t = {
      option_spec("log.progress_interval", OptType::Float, "10",
                  "seconds between progress lines when stderr is not a terminal", 0, inf, true),
      option_spec("log.all_ranks", OptType::Bool, "false", "every rank logs (default: rank 0 only, others warnings)"),
      option_spec("log.trace", OptType::Bool, "false",
                  "write RUN/trace.json: every rank's step phases for log.trace_steps steps (Chrome trace format)"),
      option_spec("log.trace_start", OptType::Int, "10", "log.trace: the first traced optimizer step (from 0)", 0),
      option_spec("log.trace_steps", OptType::Int, "20", "log.trace: how many steps to trace", 1, 100000),
      option_spec("runtime.threads", OptType::Int, "0", "threads per rank (0: the rank's cores; never oversubscribed)",
                  0, 4096),
  };
  return t;
}

// train.*, early_stopping.*: the loop's own settings (after data and optimizer, in table order).
void read_loop(const Config& c, TrainSettings& s) {
  s.epochs = c.get_int("train.epochs");
  s.eval_batch_size = c.get_int("train.eval_batch_size");
  s.max_steps = c.get_int("train.max_steps");
  s.grad_accumulation = c.get_int("train.grad_accumulation");
  s.deterministic = c.get_bool("train.deterministic");
  s.micro_shards = c.get_int("train.micro_shards");
  s.clip_grad_norm = c.get_float("train.clip_grad_norm");
  s.init_from = c.has("train.init_from") ? c.get_string("train.init_from") : "";
  s.init_by_position = c.get_string("train.init_from_match") == "position";
  s.skip_nonfinite = c.get_string("train.nonfinite") == "skip";
  s.early_metric = c.get_string("early_stopping.metric");
  check_metric_for_loss(s.early_metric, s.loss);
  s.patience = c.get_int("early_stopping.patience");
  s.min_delta = c.get_float("early_stopping.min_delta");
  if (s.patience > 0 && !s.data.has_validation())
    fail("config: early_stopping.patience = {} needs a validation split (data.val_fraction or data.val_features)",
         s.patience);
}
}  // namespace

// The order is that of config.yaml, --help and docs/config.md (the watchdog's runtime.* options
// come after runtime.threads).
const OptionTable& train_options() {
  static const OptionTable t = concat({seed_options(), data_options(), model_options(), optim_options(), loop_options(),
                                       checkpoint_options(), comm_options(), process_options(), watchdog_options()});
  return t;
}

namespace {
void read_ignore_index(const Config& c, TrainSettings& s) {
  const std::string v = c.has("loss_ignore_index") ? c.get_string("loss_ignore_index") : "";
  if (v.empty()) return;
  size_t used = 0;
  try {
    s.ignore_index = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || s.ignore_index < INT32_MIN || s.ignore_index > INT32_MAX)
    fail("{}: loss_ignore_index = '{}' is not a 32-bit integer (empty: no ignored label)",
         c.origin("loss_ignore_index"), v);
  if (is_regression_loss(s.loss))
    fail("{}: loss_ignore_index = {} applies to loss cross_entropy, not {}", c.origin("loss_ignore_index"), v, s.loss);
  s.has_ignore = true;
}
}  // namespace

LossOptions loss_options(const TrainSettings& s, int64_t target_slots) {
  LossOptions o;
  o.has_ignore = s.has_ignore, o.ignore_index = s.ignore_index;
  o.positions = is_regression_loss(s.loss) ? 1 : target_slots;
  return o;
}

LabelRule label_rule(const TrainSettings& s, const Shape& output) { return {output, s.has_ignore, s.ignore_index}; }

TrainSettings read_settings(const Config& c) {
  TrainSettings s;
  s.seed = static_cast<uint64_t>(c.get_int("seed"));
  s.loss = c.get_string("loss");
  read_ignore_index(c, s);
  s.data = read_data_settings(c, is_regression_loss(s.loss));
  s.layers = c.get_node("model.layers");
  s.layers_origin = c.origin("model.layers");
  s.batch_size = c.get_int("train.batch_size");
  s.optim = read_optim_settings(c, s.batch_size);
  read_loop(c, s);
  s.ckpt = read_checkpoint_settings(c);
  s.progress_interval = c.get_float("log.progress_interval");
  s.log_all_ranks = c.get_bool("log.all_ranks");
  s.trace = {c.get_bool("log.trace"), c.get_int("log.trace_start"), c.get_int("log.trace_steps")};
  s.threads = static_cast<int>(c.get_int("runtime.threads"));
  s.comm = read_comm_settings(c);
  if (s.deterministic && s.comm.compress_bf16)
    fail("config: comm.compress = bf16 cannot be combined with train.deterministic = true (the exact sum adds the "
         "gradients without rounding; bfloat16 rounds every partial sum); set one of them off");
  if (s.deterministic && s.comm.compress_powersgd)
    fail("config: comm.compress = powersgd cannot be combined with train.deterministic = true (the low-rank sum "
         "depends on how the batch is split over the ranks); set one of them off");
  if (s.optim.shard && s.comm.compress_powersgd)
    fail("config: comm.compress = powersgd cannot be combined with optimizer.shard = true (the low-rank sum needs "
         "each gradient matrix whole on every rank); set one of them off");
  return s;
}

TrainConfig read_train_config(Config cfg) {
  TrainSettings s = read_settings(cfg);
  return {std::move(cfg), std::move(s)};
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  Config cfg(train_options());
  cfg.load_file(path);
  for (const auto& o : overrides) cfg.set_override(o);
  cfg.check_required();
  return read_train_config(std::move(cfg));  // every value checked now, before anything is logged or opened
}

void configure_threads(const TrainSettings& s, const Comm& comm) {
  kern::configure_threads(s.threads > 0 ? s.threads : kern::auto_threads(comm.local_size()), s.deterministic);
}

}  // namespace dpt
