#include "train/trainer.hpp"

#include <filesystem>
#include <fstream>

#include "checkpoint/model_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "data/sampler.hpp"
#include "kernels/blas_env.hpp"
#include "kernels/threads.hpp"
#include "optim/sgd.hpp"
#include "train/epoch_data.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"
#include "train/train_config.hpp"

namespace dpt {

namespace {

// Rank 0: create the run directory and write config.yaml (the caller checked it holds no run,
// or that --overwrite was given).
void prepare_run_dir(const TrainOptions& o, const std::string& config_yaml) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec || !fs::is_directory(o.out_dir)) fail("{}: cannot create the run directory ({})", o.out_dir, ec.message());
  const std::string path = (fs::path(o.out_dir) / "config.yaml").string();
  std::ofstream f(path, std::ios::trunc);
  f << config_yaml;
  if (!f.flush()) fail("{}: cannot write (is the directory writable?)", path);
  fs::remove(fs::path(o.out_dir) / "metrics.jsonl");
}

class Trainer {
 public:
  Trainer(const Config& cfg, const Comm& comm, const TrainOptions& opts);
  TrainOutcome run();

 private:
  void check_data();
  void log_setup() const;
  double train_epoch(int64_t epoch, double* data_s);  // returns the mean training loss
  bool done() const { return s_.max_steps > 0 && step_ >= s_.max_steps; }

  const Config& cfg_;
  const Comm& comm_;
  TrainOptions opts_;
  TrainSettings s_;
  SampleSource train_src_;
  std::unique_ptr<SampleSource> test_src_;
  Shard test_shard_;
  int64_t local_batch_max_;
  Model model_;
  std::unique_ptr<Loss<float>> loss_;
  Sgd sgd_;
  Sampler sampler_;
  std::unique_ptr<EpochData> epoch_data_;
  Buffer<float> dout_;
  MetricsWriter metrics_;
  int64_t step_ = 0;
  double t0_ = 0, train_correct_ = 0;
  float lr_ = 0;
};

Trainer::Trainer(const Config& cfg, const Comm& comm, const TrainOptions& opts)
    : cfg_(cfg), comm_(comm), opts_(opts), s_(read_settings(cfg)), train_src_(s_.train, s_.scale),
      local_batch_max_((s_.batch_size + comm.size() - 1) / comm.size()),
      model_(s_.layers, train_src_.sample_shape(), std::max(local_batch_max_, s_.eval_batch_size), s_.layers_origin),
      loss_(make_loss<float>(s_.loss)),
      sgd_(model_.store().size(), s_.momentum, s_.weight_decay, s_.nesterov),
      sampler_(train_src_.size(), s_.batch_size, s_.seed, s_.shuffle) {
  s_.schedule.total_steps = s_.max_steps > 0 ? std::min(s_.max_steps, s_.epochs * sampler_.steps_per_epoch())
                                             : s_.epochs * sampler_.steps_per_epoch();
  if (!s_.test.file.empty()) test_src_ = std::make_unique<SampleSource>(s_.test, s_.scale);
  check_data();
  dout_.resize(static_cast<size_t>(local_batch_max_ * numel(model_.output_shape())));
  if (test_src_) {
    const auto [a, b] = block_range(test_src_->size(), comm_.rank(), comm_.size());
    test_shard_ = load_block(*test_src_, a, b);
  }
  epoch_data_ = std::make_unique<EpochData>(train_src_, sampler_, comm_);
}

void Trainer::check_data() {
  const int P = comm_.size();
  const int64_t classes = numel(model_.output_shape());
  if (train_src_.size() < P)
    fail("{}: '{}' has {} samples, fewer than the {} ranks", s_.train.file, s_.train.features, train_src_.size(), P);
  if (s_.batch_size < P)
    fail("config: train.batch_size = {} is smaller than the {} ranks (it is the global batch, split across ranks)",
         s_.batch_size, P);
  if (test_src_ && test_src_->sample_shape() != train_src_.sample_shape())
    fail("{}: test samples '{}' are {} but training samples are {}", s_.test.file, s_.test.features,
         shape_str(test_src_->sample_shape()), shape_str(train_src_.sample_shape()));
  // Each rank checks its own block of labels, so every label is checked once before training.
  const auto [a, b] = block_range(train_src_.size(), comm_.rank(), P);
  train_src_.check_labels(a, b, classes);
  if (test_src_) {
    const auto [c, d] = block_range(test_src_->size(), comm_.rank(), P);
    test_src_->check_labels(c, d, classes);
  }
  comm_.check_same(static_cast<uint64_t>(train_src_.size()), "number of training samples");
}

void Trainer::log_setup() const {
  spdlog::info("{} ranks x {} threads; BLAS: {}", comm_.size(), kern::configured_threads(), kern::blas_description());
  spdlog::info("train: {} samples of {} from {}; test: {}", train_src_.size(), shape_str(train_src_.sample_shape()),
               s_.train.file, test_src_ ? fmt::format("{} samples", test_src_->size()) : "none");
  spdlog::info("global batch {} = {} ranks x ~{}; {} steps per epoch (last batch {} samples)", s_.batch_size,
               comm_.size(), local_batch_max_, sampler_.steps_per_epoch(),
               train_src_.size() - (sampler_.steps_per_epoch() - 1) * s_.batch_size);
  spdlog::info("model:\n{}", model_.summary());
}

double Trainer::train_epoch(int64_t epoch, double* data_s) {
  const double t_load = wall_time();
  const EpochPlan plan = sampler_.plan(epoch, comm_.rank(), comm_.size());
  const Shard shard = epoch_data_->load(epoch, plan);
  *data_s = wall_time() - t_load;
  const int64_t C = numel(model_.output_shape());
  Progress progress(comm_.rank() == 0 && !opts_.quiet, s_.progress_interval, s_.epochs, plan.steps());
  double loss_sum = 0, seen = 0;
  train_correct_ = 0;
  const double t_start = wall_time();
  for (int64_t st = 0; st < plan.steps() && !done(); ++st) {
    const int64_t b = plan.local_size(st), off = plan.step_begin[st];
    ParamStore& store = model_.store();
    store.zero_grads();
    const float* out = model_.forward(shard.x_at(off), b);
    const LossResult r = loss_->compute(out, Targets{shard.y.data() + off}, b, C,
                                        1.0f / static_cast<float>(plan.global_size[st]), dout_.data());
    model_.backward(shard.x_at(off), dout_.data(), b);
    comm_.allreduce_sum(store.grads(), store.size());
    lr_ = static_cast<float>(s_.schedule.at(step_));
    sgd_.step(store, lr_);
    ++step_;
    loss_sum += r.loss_sum, seen += static_cast<double>(b), train_correct_ += static_cast<double>(r.correct);
    const double el = wall_time() - t_start;
    const double sps = seen * comm_.size() / std::max(el, 1e-9);
    progress.update(epoch, st, loss_sum / std::max(seen, 1.0), sps,
                    (static_cast<double>((s_.epochs - epoch) * plan.steps() - st - 1)) * el / static_cast<double>(st + 1));
  }
  progress.finish_line();
  double sums[3] = {loss_sum, seen, train_correct_};
  comm_.allreduce_sum(sums, 3);
  train_correct_ = sums[2] / std::max(sums[1], 1.0);
  return sums[0] / std::max(sums[1], 1.0);
}

}  // namespace

namespace {

TrainOutcome Trainer::run() {
  log_setup();
  if (comm_.rank() == 0) model_.init(s_.seed);
  comm_.bcast(model_.store().params(), model_.store().size(), 0);
  if (comm_.rank() == 0 && !opts_.out_dir.empty())
    metrics_ = MetricsWriter((std::filesystem::path(opts_.out_dir) / "metrics.jsonl").string());
  TrainOutcome out;
  t0_ = wall_time();
  for (int64_t epoch = 0; epoch < s_.epochs && !done(); ++epoch) {
    comm_.barrier();
    const double t_epoch = wall_time();
    double data_s = 0;
    const int64_t step_before = step_;
    out.train_loss = train_epoch(epoch, &data_s);
    comm_.barrier();
    const double epoch_s = wall_time() - t_epoch;
    const double t_eval = wall_time();
    if (test_src_) out.test = evaluate(model_, *loss_, test_shard_, comm_);
    const double eval_s = wall_time() - t_eval;
    const int64_t samples = std::min(train_src_.size(), (step_ - step_before) * s_.batch_size);
    nlohmann::json rec = {{"epoch", epoch + 1},          {"step", step_},
                          {"train_loss", out.train_loss}, {"train_accuracy", train_correct_},
                          {"samples_per_s", samples / epoch_s}, {"epoch_s", epoch_s},
                          {"data_s", data_s},            {"eval_s", eval_s},
                          {"elapsed_s", wall_time() - t0_}, {"lr", lr_}};
    if (test_src_) rec["test_loss"] = out.test.loss, rec["test_accuracy"] = out.test.accuracy;
    if (metrics_.active()) metrics_.write(rec);
    spdlog::info("epoch {}/{}: train loss {:.4f} acc {:.4f} | test loss {} acc {} | {:.0f} samples/s | {:.1f} s",
                 epoch + 1, s_.epochs, out.train_loss, train_correct_,
                 test_src_ ? fmt::format("{:.4f}", out.test.loss) : "-",
                 test_src_ ? fmt::format("{:.4f}", out.test.accuracy) : "-", samples / epoch_s, epoch_s);
    out.epochs = epoch + 1;
  }
  out.steps = step_;
  out.seconds = wall_time() - t0_;
  out.params.assign(model_.store().params(), model_.store().params() + model_.store().size());
  if (comm_.rank() == 0 && !opts_.out_dir.empty()) {
    const std::string path = (std::filesystem::path(opts_.out_dir) / "model.h5").string();
    save_model(path, model_, {cfg_.to_yaml(), model_.input_shape(), out.epochs, step_});
    spdlog::info("model written to {}", path);
  }
  return out;
}

}  // namespace

TrainOutcome train(const Config& cfg, const Comm& comm, const TrainOptions& opts) {
  const TrainSettings s = read_settings(cfg);
  kern::configure_threads(s.threads > 0 ? s.threads : kern::auto_threads(comm.local_size()));
  const std::string yaml = cfg.to_yaml();
  comm.check_same(std::hash<std::string>{}(yaml), "resolved config (same config file and --set options on every rank?)");
  // Refuse to clobber an earlier run before any work, on every rank alike (rank 0 looks).
  int64_t taken = comm.rank() == 0 && !opts.out_dir.empty() && !opts.overwrite &&
                  std::filesystem::exists(std::filesystem::path(opts.out_dir) / "metrics.jsonl");
  comm.allreduce_sum(&taken, 1);
  if (taken) fail("{}: already holds a run (metrics.jsonl); choose another --out or pass --overwrite", opts.out_dir);
  Trainer t(cfg, comm, opts);     // opens and checks the data before the run directory is touched
  comm.barrier();                 // a rank that failed its checks has aborted the job by now
  std::unique_ptr<log::ScopedLogFile> log_file;
  if (comm.rank() == 0 && !opts.out_dir.empty()) {
    prepare_run_dir(opts, yaml);
    log_file = std::make_unique<log::ScopedLogFile>((std::filesystem::path(opts.out_dir) / "train.log").string());
  }
  return t.run();
}

}  // namespace dpt
