#include "train/train_config.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "kernels/threads.hpp"
#include "train/evaluator.hpp"

namespace dpt {

namespace {
constexpr double inf = INFINITY;
OptionSpec opt(std::string key, OptType t, std::string dflt, std::string help, double lo = -inf, double hi = inf,
               bool lo_open = false) {
  return {std::move(key), t, std::move(dflt), std::move(help), lo, hi, lo_open};
}
OptionSpec choice(std::string key, std::string dflt, std::string help, std::vector<std::string> choices) {
  return {std::move(key), OptType::String, std::move(dflt), std::move(help), -inf, inf, false, std::move(choices)};
}
}  // namespace

const OptionTable& train_options() {
  static const OptionTable t = {
      opt("seed", OptType::Int, "1234", "seed for initialization, data order, validation split and dropout", 0),
      {"data.file",
       OptType::StringList,
       "",
       "HDF5 file with the data set; or a glob (data/shard-*.h5) or a list of files forming one data set",
       -inf,
       inf,
       false,
       {},
       true},
      opt("data.train_features", OptType::String, "/train/images", "training features dataset (N, ...)"),
      opt("data.train_labels", OptType::String, "/train/labels", "training labels dataset (N)"),
      opt("data.val_fraction", OptType::Float, "0", "carve this fraction of the training rows out as validation", 0,
          0.9),
      opt("data.val_file", OptType::StringList, "", "HDF5 file(s) of a separate validation split (default: data.file)"),
      opt("data.val_features", OptType::String, "", "validation features dataset (empty: none, or val_fraction)"),
      opt("data.val_labels", OptType::String, "", "validation labels dataset"),
      opt("data.test_file", OptType::StringList, "", "HDF5 file(s) with the test split (default: data.file)"),
      opt("data.test_features", OptType::String, "/test/images", "test features dataset; empty: no test evaluation"),
      opt("data.test_labels", OptType::String, "/test/labels", "test labels dataset"),
      opt("data.scale", OptType::Float, "1", "features are multiplied by this after conversion to float32 (e.g. 1/255)",
          0, inf, true),
      opt("data.shuffle", OptType::Bool, "true", "draw a new global sample order every epoch"),
      opt("data.memory_budget", OptType::String, "0",
          "bytes of training samples each rank may hold (64MiB, 1GiB); > 0 streams blocks from the file with a "
          "windowed shuffle (docs/data.md); 0: the whole training split in memory"),
      opt("data.block_rows", OptType::Int, "0",
          "streaming: rows per read block (0: the features' chunk rows, or about 1 MiB when not chunked)", 0),
      opt("data.shuffle_buffer", OptType::Int, "0",
          "streaming: samples shuffled together, rounded up to whole blocks (0: the most that data.memory_budget "
          "holds on one rank; the sample order never depends on the rank count)",
          0),
      {"model.layers",
       OptType::List,
       "",
       "the layers, in order: [{type: dense, units: 512}, {type: relu}, ...]",
       -inf,
       inf,
       false,
       {},
       true},
      choice("loss", "cross_entropy",
             "cross_entropy: classification (integer labels); mse: regression (mean squared error; float or "
             "integer targets (N) or (N, T), T = the model's outputs)",
             {"cross_entropy", "mse"}),
      choice("optimizer.name", "sgd", "optimizer", {"sgd", "adam", "adamw"}),
      opt("optimizer.lr", OptType::Float, "0.05", "learning rate", 0, inf, true),
      opt("optimizer.momentum", OptType::Float, "0.9", "sgd: momentum", 0, 1),
      opt("optimizer.nesterov", OptType::Bool, "false", "sgd: Nesterov momentum"),
      opt("optimizer.weight_decay", OptType::Float, "0", "sgd/adam: L2 added to the gradient; adamw: decoupled", 0),
      opt("optimizer.beta1", OptType::Float, "0.9", "adam/adamw: first-moment decay", 0, 1),
      opt("optimizer.beta2", OptType::Float, "0.999", "adam/adamw: second-moment decay", 0, 1),
      opt("optimizer.eps", OptType::Float, "1e-8", "adam/adamw: added to the denominator", 0, inf, true),
      opt("optimizer.reference_batch", OptType::Int, "0",
          "linear scaling rule: lr x batch_size / reference_batch (0: off)", 0),
      choice("schedule.name", "constant", "learning-rate schedule over optimizer steps",
             {"constant", "step", "exponential", "cosine"}),
      opt("schedule.min_lr", OptType::Float, "0", "cosine: learning rate at the last step", 0),
      opt("schedule.step_size", OptType::Int, "1000", "step: multiply by gamma every step_size steps", 1),
      opt("schedule.gamma", OptType::Float, "0.1", "step/exponential: decay factor", 0, 1, true),
      opt("schedule.warmup_steps", OptType::Int, "0", "linear warmup steps before the schedule", 0),
      opt("schedule.warmup_start_factor", OptType::Float, "0", "warmup starts at this fraction of lr", 0, 1),
      opt("train.epochs", OptType::Int, "10", "passes over the training data", 1),
      opt("train.batch_size", OptType::Int, "128", "GLOBAL batch per optimizer step, split across the ranks", 1),
      opt("train.grad_accumulation", OptType::Int, "1", "micro-batches per rank per step (same result, less memory)",
          1),
      opt("train.eval_batch_size", OptType::Int, "256",
          "batch size per rank for evaluation (memory: activations of this many samples)", 1),
      opt("train.max_steps", OptType::Int, "0", "stop after this many optimizer steps (0: no limit)", 0),
      opt("train.deterministic", OptType::Bool, "false",
          "bit-identical weights on any rank count that divides train.micro_shards (docs/reproducibility.md)"),
      opt("train.micro_shards", OptType::Int, "4",
          "train.deterministic: fixed pieces of each global batch, the unit of the exact gradient sum", 1),
      opt("train.clip_grad_norm", OptType::Float, "0", "clip the global gradient norm to this (0: off)", 0),
      choice("train.nonfinite", "stop", "a NaN/Inf loss or gradient: stop, or skip the step", {"stop", "skip"}),
      choice("early_stopping.metric", "val_loss",
             "validation metric that selects the model (val_accuracy: classification; val_rmse, val_mae, val_r2: mse)",
             {"val_loss", "val_accuracy", "val_rmse", "val_mae", "val_r2"}),
      opt("early_stopping.patience", OptType::Int, "0", "stop after this many epochs without improvement (0: off)", 0),
      opt("early_stopping.min_delta", OptType::Float, "0", "smallest change that counts as an improvement", 0),
      opt("checkpoint.every_steps", OptType::Int, "0", "write a checkpoint every N optimizer steps (0: off)", 0),
      opt("checkpoint.every_minutes", OptType::Float, "0", "write a checkpoint every T minutes (0: off)", 0),
      opt("checkpoint.every_epoch", OptType::Bool, "true", "write a checkpoint at the end of every epoch"),
      opt("checkpoint.keep", OptType::Int, "3", "checkpoints kept (older ones are deleted)", 1),
      opt("comm.overlap", OptType::Bool, "true",
          "sum gradient buckets while backward runs (same bits as false); false: one allreduce after backward "
          "(~2 % faster with 1 core per rank and no spare core)"),
      opt("comm.bucket_kb", OptType::Int, "256", "gradient bucket size in KiB for comm.overlap", 4),
      choice("comm.progress", "thread",
             "comm.overlap: what drives the bucket sums; thread: a communication thread runs blocking allreduces "
             "in bucket order (needs MPI_THREAD_MULTIPLE); poll: MPI_Iallreduce polled between layers (slower)",
             {"poll", "thread"}),
      opt("log.progress_interval", OptType::Float, "10", "seconds between progress lines when stderr is not a terminal",
          0, inf, true),
      opt("log.all_ranks", OptType::Bool, "false", "every rank logs (default: rank 0 only, others warnings)"),
      opt("runtime.threads", OptType::Int, "0", "threads per rank (0: the rank's cores; never oversubscribed)", 0,
          4096),
      opt("runtime.heartbeat_timeout", OptType::Float, "60",
          "abort the job when a rank's watchdog thread sends no heartbeat for this many seconds (process stopped, "
          "frozen or unreachable; slow steps, checkpoints and evaluations never trigger it); 0: off, else >= 1",
          0),
      opt("runtime.watchdog_timeout", OptType::Float, "0",
          "also abort when ranks wait this many seconds in a collective for a missing rank, naming it (0: off, "
          "else >= 1)",
          0),
  };
  return t;
}

namespace {
std::string str_or_empty(const Config& c, const std::string& key) { return c.has(key) ? c.get_string(key) : ""; }

// The files of a file option (a path, a glob, or a list: .files, with .file naming them for messages);
// false when the option is unset or empty.
bool read_files(const Config& c, const std::string& key, SplitPaths& p) {
  const std::vector<std::string> v = c.has(key) ? c.get_strings(key) : std::vector<std::string>{};
  if (v.empty() || (v.size() == 1 && v[0].empty())) return false;
  p.file = v.size() == 1 ? v[0] : fmt::format("{}", fmt::join(v, ", "));
  p.files = v.size() == 1 ? std::vector<std::string>{} : v;
  return true;
}

SplitPaths split(const Config& c, const std::string& name, const SplitPaths& train) {
  const std::string features = str_or_empty(c, "data." + name + "_features");
  if (features.empty()) return {};
  SplitPaths p{train.file,
               features,
               c.get_string("data." + name + "_labels"),
               "data." + name + "_features",
               "data." + name + "_labels",
               train.files};
  read_files(c, "data." + name + "_file", p);
  return p;
}
}  // namespace

TrainSettings read_settings(const Config& c) {
  TrainSettings s;
  s.seed = static_cast<uint64_t>(c.get_int("seed"));
  s.train = {"", c.get_string("data.train_features"), c.get_string("data.train_labels"), "data.train_features",
             "data.train_labels"};
  read_files(c, "data.file", s.train);
  s.val = split(c, "val", s.train);
  s.test = split(c, "test", s.train);
  s.val_fraction = c.get_float("data.val_fraction");
  if (s.val_fraction > 0 && !s.val.file.empty())
    fail("config: data.val_fraction = {} and data.val_features = '{}' both define a validation split; use one",
         s.val_fraction, s.val.features);
  s.scale = static_cast<float>(c.get_float("data.scale"));
  s.shuffle = c.get_bool("data.shuffle");
  s.stream.budget_text = c.get_string("data.memory_budget");
  s.stream.budget = parse_byte_size(s.stream.budget_text, c.origin("data.memory_budget") + ": data.memory_budget");
  s.stream.block_rows = c.get_int("data.block_rows");
  s.stream.shuffle_buffer = c.get_int("data.shuffle_buffer");
  s.layers = c.get_node("model.layers");
  s.layers_origin = c.origin("model.layers");
  s.loss = c.get_string("loss");
  s.train.float_targets = s.val.float_targets = s.test.float_targets = is_regression_loss(s.loss);
  s.optimizer = {c.get_string("optimizer.name"),   c.get_float("optimizer.momentum"),
                 c.get_bool("optimizer.nesterov"), c.get_float("optimizer.weight_decay"),
                 c.get_float("optimizer.beta1"),   c.get_float("optimizer.beta2"),
                 c.get_float("optimizer.eps")};
  validate(s.optimizer);
  s.batch_size = c.get_int("train.batch_size");
  const int64_t ref = c.get_int("optimizer.reference_batch");
  s.lr = static_cast<float>(ref > 0 ? linear_scaled_lr(c.get_float("optimizer.lr"), s.batch_size, ref)
                                    : c.get_float("optimizer.lr"));
  s.schedule.name = c.get_string("schedule.name");
  s.schedule.base_lr = s.lr;
  s.schedule.min_lr = c.get_float("schedule.min_lr");
  s.schedule.step_size = c.get_int("schedule.step_size");
  s.schedule.gamma = c.get_float("schedule.gamma");
  s.schedule.warmup_steps = c.get_int("schedule.warmup_steps");
  s.schedule.warmup_start_factor = c.get_float("schedule.warmup_start_factor");
  s.schedule.validate();
  s.epochs = c.get_int("train.epochs");
  s.eval_batch_size = c.get_int("train.eval_batch_size");
  s.max_steps = c.get_int("train.max_steps");
  s.grad_accumulation = c.get_int("train.grad_accumulation");
  s.deterministic = c.get_bool("train.deterministic");
  s.micro_shards = c.get_int("train.micro_shards");
  s.clip_grad_norm = c.get_float("train.clip_grad_norm");
  s.skip_nonfinite = c.get_string("train.nonfinite") == "skip";
  s.early_metric = c.get_string("early_stopping.metric");
  check_metric_for_loss(s.early_metric, s.loss);
  s.patience = c.get_int("early_stopping.patience");
  s.min_delta = c.get_float("early_stopping.min_delta");
  if (s.patience > 0 && s.val.file.empty() && s.val_fraction == 0)
    fail("config: early_stopping.patience = {} needs a validation split (data.val_fraction or data.val_features)",
         s.patience);
  s.ckpt_every_steps = c.get_int("checkpoint.every_steps");
  s.ckpt_every_minutes = c.get_float("checkpoint.every_minutes");
  s.ckpt_every_epoch = c.get_bool("checkpoint.every_epoch");
  s.ckpt_keep = c.get_int("checkpoint.keep");
  s.progress_interval = c.get_float("log.progress_interval");
  s.log_all_ranks = c.get_bool("log.all_ranks");
  s.threads = static_cast<int>(c.get_int("runtime.threads"));
  s.watchdog_timeout = c.get_float("runtime.watchdog_timeout");
  s.heartbeat_timeout = c.get_float("runtime.heartbeat_timeout");
  for (const char* key : {"runtime.watchdog_timeout", "runtime.heartbeat_timeout"}) {
    const double t = c.get_float(key);
    if (t > 0 && t < 1)
      fail("{}: {} = {} is out of range: must be 0 (off) or at least 1 (seconds)", c.origin(key), key, t);
  }
  s.overlap = c.get_bool("comm.overlap");
  s.bucket_floats = c.get_int("comm.bucket_kb") * 1024 / 4;
  s.comm_thread = c.get_string("comm.progress") == "thread";
  return s;
}

void configure_threads(const TrainSettings& s, const Comm& comm) {
  kern::configure_threads(s.threads > 0 ? s.threads : kern::auto_threads(comm.local_size()), s.deterministic);
}

Config load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  Config cfg(train_options());
  cfg.load_file(path);
  for (const auto& o : overrides) cfg.set_override(o);
  cfg.check_required();
  (void)read_settings(cfg);  // every value checked now, before anything is logged or opened
  return cfg;
}

}  // namespace dpt
