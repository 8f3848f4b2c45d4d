#include "train/trainer.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint/model_file.hpp"
#include "checkpoint/state_dict_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/partition.hpp"
#include "input/epoch_data.hpp"
#include "input/run_data.hpp"
#include "input/stream_data.hpp"
#include "kernels/blas_env.hpp"
#include "kernels/threads.hpp"
#include "train/checkpointing.hpp"
#include "train/early_stopping.hpp"
#include "train/epoch_counters.hpp"
#include "train/metrics.hpp"
#include "train/model_setup.hpp"
#include "train/progress.hpp"
#include "train/rank_timeline.hpp"
#include "train/run_dir.hpp"
#include "train/run_start.hpp"
#include "train/shards.hpp"
#include "train/step.hpp"
#include "train/stop_signals.hpp"
#include "train/train_config.hpp"

namespace dpt {

namespace {

class Trainer {
 public:
  Trainer(const TrainConfig& tc, const Comm& comm, const TrainOptions& opts);
  // Collective, before the run directory is touched: initial weights, or the checkpoint to
  // continue from (a checkpoint that cannot be used fails here, changing nothing).
  void start();
  TrainOutcome run();
  const RunDir& dir() const { return dir_; }

 private:
  void log_setup() const;
  void restore(const std::string& path);
  TrainOutcome complete_finished_run();
  bool run_epoch(int64_t epoch, TrainOutcome& out);     // false: stop
  bool poll_stop_or_checkpoint();                       // collective, every few steps
  bool report_step(const StepResult& r, int64_t step);  // collective: opts_.on_step's verdict
  void checkpoint();
  void finish_epoch(int64_t epoch, double epoch_s, double data_s, TrainOutcome& out);
  void finish_run(TrainOutcome& out);
  EvalResult eval(const Shard* shard) { return shard ? evaluate(model_, *loss_, *shard, comm_) : EvalResult{}; }
  bool checkpoints_on() const { return !dir_.root.empty(); }

  const Config& cfg_;
  const Comm& comm_;
  TrainOptions opts_;
  TrainSettings s_;  // a copy: the trainer sets the schedule's total steps
  RunDir dir_;
  RunData data_;
  Model model_;
  std::unique_ptr<Loss<float>> loss_;
  std::unique_ptr<Optimizer> opt_;
  Sampler sampler_;
  std::unique_ptr<EpochData> epoch_data_;
  std::unique_ptr<StreamData> stream_;  // data.memory_budget > 0 (instead of epoch_data_)
  StepRunner runner_;
  RankTimeline timeline_;  // per-rank step times, the straggler summary, log.trace
  EarlyStopping early_;
  std::vector<float> best_params_, best_buffers_;
  MetricsWriter metrics_;
  TrainState st_;
  EpochCounters counters_;
  double seen_before_ = 0;  // the epoch's samples trained before this process (a resumed epoch)
  double t0_ = 0, last_ckpt_time_ = 0;
  float lr_ = 0;
  int64_t last_ckpt_step_ = -1;
  bool finished_ = false;       // resumed from the checkpoint of a run that had ended
  bool model_missing_ = false;  // ... whose model.h5 was never written (killed, disk full)
  std::string resumed_from_;
};

Trainer::Trainer(const TrainConfig& tc, const Comm& comm, const TrainOptions& opts)
    : cfg_(tc.cfg),
      comm_(comm),
      opts_(opts),
      s_(tc.s),
      dir_{opts.out_dir},
      data_(s_.data, s_.run_shape(), comm),
      model_(s_.layers, data_.train_source().sample_shape(),
             checked_model_batch(s_, data_.train_source().sample_shape(), comm), s_.layers_origin),
      loss_(make_loss<float>(s_.loss, loss_options(s_, data_.train_source().target_slots()))),
      opt_(make_run_optimizer(s_, model_.store().size(), comm)),
      sampler_(data_.train_size(), s_.batch_size, s_.seed, s_.data.shuffle),
      runner_(model_, *loss_, *opt_, comm_, s_),
      timeline_(comm_, s_.trace, dir_.root.empty() ? "" : dir_.file("trace.json"), sampler_.steps_per_epoch()),
      early_(s_.early_metric, s_.patience, s_.min_delta),
      counters_(sampler_.steps_per_epoch(), comm) {
  const int64_t per_epoch = sampler_.steps_per_epoch();
  s_.optim.schedule.total_steps =
      s_.max_steps > 0 ? std::min(s_.max_steps, s_.epochs * per_epoch) : s_.epochs * per_epoch;
  if (s_.early_metric == "val_miou" && loss_->target_slots(1) == 1)
    fail(
        "config: early_stopping.metric = val_miou needs class maps (labels (N, ...) per position); '{}' ({}) holds "
        "one label per sample: use val_accuracy",
        s_.data.train.labels, s_.data.train.labels_option);
  data_.check_and_load(label_rule(s_, model_.output_shape()));
  if (s_.data.stream.budget > 0)
    stream_ = std::make_unique<StreamData>(s_.data, s_.run_shape(), data_.train_source(), data_.train_rows(), comm_);
  else
    epoch_data_ = std::make_unique<EpochData>(data_.train_source(), sampler_, comm_, data_.train_rows());
}

void Trainer::log_setup() const {
  spdlog::info("{} ranks x {} threads; BLAS: {}", comm_.size(), kern::configured_threads(), kern::blas_description());
  spdlog::info("data: {}", data_.describe());
  if (stream_) spdlog::info("data: {}", stream_->describe());
  const int64_t steps = sampler_.steps_per_epoch();
  spdlog::info("global batch {} = {} ranks x ~{}{}; {} steps per epoch (last batch {} samples); optimizer {} lr {:g}",
               s_.batch_size, comm_.size(), per_rank_batch(s_.batch_size, comm_.size()),
               s_.grad_accumulation > 1 ? fmt::format(" in {} micro-batches", s_.grad_accumulation) : "", steps,
               data_.train_size() - (steps - 1) * s_.batch_size, opt_->name(), s_.optim.lr);
  spdlog::info("model:\n{}", model_.summary());
  if (!s_.init_from.empty() && resumed_from_.empty()) spdlog::info("initial weights from {}", s_.init_from);
}

void Trainer::restore(const std::string& path) {
  st_ = load_checkpoint(path, model_, *opt_, runner_.powersgd(), &comm_);
  if (!st_.early.is_null()) early_.from_json(st_.early);
  if (early_.best_epoch() > 0 && std::filesystem::exists(dir_.file("best_model.h5"))) {
    // The best weights so far live in best_model.h5: load them through the model, keep a copy.
    ParamStore &p = model_.store(), &b = model_.buffers();
    const std::vector<float> cur_p(p.params(), p.params() + p.size()), cur_b(b.params(), b.params() + b.size());
    load_model_params(dir_.file("best_model.h5"), model_);
    copy_weights(model_, best_params_, best_buffers_);
    std::copy(cur_p.begin(), cur_p.end(), p.params());
    std::copy(cur_b.begin(), cur_b.end(), b.params());
  }
  // The checkpoint of a run that already ended (its last epoch, max_steps, early stopping): the
  // same on every rank, from the checkpoint's state; nothing to train, nothing to rewrite.
  finished_ = st_.epoch >= s_.epochs || (s_.max_steps > 0 && st_.step >= s_.max_steps) || early_.should_stop();
  int64_t missing =
      finished_ && comm_.rank() == 0 && !dir_.root.empty() && !std::filesystem::exists(dir_.file("model.h5"));
  comm_.allreduce_sum(&missing, 1);
  model_missing_ = missing != 0;
  resumed_from_ = path;
}

// The checkpoint of an ended run whose model.h5 was never written (the job died after its last
// checkpoint): write it now, with the same weights, metrics and end record the run would have.
TrainOutcome Trainer::complete_finished_run() {
  spdlog::warn("{} ended at step {} but its model.h5 was never written: writing it from {}", dir_.root, st_.step,
               resumed_from_);
  if (comm_.rank() == 0) {
    truncate_metrics(dir_, st_.step);
    metrics_ = MetricsWriter(dir_.file("metrics.jsonl"));
  }
  TrainOutcome out;
  out.stop_reason = early_.should_stop()                             ? StopReason::early_stopping
                    : (s_.max_steps > 0 && st_.step >= s_.max_steps) ? StopReason::max_steps
                                                                     : StopReason::epochs;
  out.epochs = st_.epoch + (st_.step_in_epoch > 0 ? 1 : 0);
  out.val = eval(data_.val()), out.test = eval(data_.test());
  t0_ = wall_time();
  finish_run(out);
  return out;
}

void Trainer::checkpoint() {
  if (st_.step == last_ckpt_step_) return;  // e.g. max_steps at a step that was just saved
  last_ckpt_step_ = st_.step;
  StreamData::ReadPause pause(stream_.get());           // HDF5 is not thread-safe: no reads while we write
  counters_.fold(st_.loss_sum, st_.seen, st_.correct);  // the epoch's counters so far, over all ranks
  TrainState st = st_;
  st.elapsed_s += wall_time() - t0_;
  st.early = early_.to_json();
  const double t_write = wall_time();
  save_checkpoint(dir_.checkpoints(), static_cast<int>(s_.ckpt.keep), model_, *opt_, st, cfg_.to_yaml(), comm_,
                  runner_.powersgd());
  last_ckpt_time_ = wall_time();
  timeline_.span("checkpoint", t_write, last_ckpt_time_);
}

bool Trainer::report_step(const StepResult& r, int64_t step) {
  double v[2] = {r.skipped ? std::numeric_limits<double>::quiet_NaN() : r.loss_sum, static_cast<double>(r.samples)};
  comm_.allreduce_sum(v, 2, "step loss");
  return opts_.on_step(step, lr_, v[0] / std::max(v[1], 1.0));
}

bool Trainer::poll_stop_or_checkpoint() {
  // Rank 0's clock decides the timed checkpoint; any rank's SIGTERM/SIGINT stops the job.
  const bool due =
      comm_.rank() == 0 && s_.ckpt.every_minutes > 0 && wall_time() - last_ckpt_time_ >= 60.0 * s_.ckpt.every_minutes;
  int64_t v[2] = {due ? 1 : 0, stop_signal() != 0 ? 1 : 0};
  comm_.allreduce_sum(v, 2);
  // Stopping on a signal: if a peer is gone the collective checkpoint cannot finish; SIGALRM's
  // default action then ends this process after 20 s instead of leaving it to the launcher.
  if (v[1]) alarm(20);
  if ((v[0] || v[1]) && checkpoints_on()) checkpoint();
  if (v[1]) alarm(0);  // written: every rank is alive
  return v[1] != 0;
}

bool Trainer::run_epoch(int64_t epoch, TrainOutcome& out) {
  const double t_epoch = wall_time();
  const int64_t first = epoch == st_.epoch ? st_.step_in_epoch : 0;
  const EpochPlan plan = stream_ ? stream_->plan() : sampler_.plan(epoch, comm_.rank(), comm_.size());
  if (stream_) stream_->begin_epoch(epoch, first);
  const SampleRows& shard = stream_ ? static_cast<const SampleRows&>(*stream_) : epoch_data_->load(epoch, plan);
  const double data_s = wall_time() - t_epoch;
  st_.epoch = epoch;
  counters_.begin_epoch();
  seen_before_ = st_.seen;
  Progress progress(comm_.rank() == 0 && !opts_.quiet, s_.progress_interval, s_.epochs, plan.steps());
  bool go_on = true;
  for (int64_t st = first; st < plan.steps(); ++st) {
    if (s_.max_steps > 0 && st_.step >= s_.max_steps) {
      out.stop_reason = StopReason::max_steps, go_on = false;
      break;
    }
    lr_ = opts_.lr_at ? opts_.lr_at(st_.step) : static_cast<float>(s_.optim.schedule.at(st_.step));
    if (stream_) stream_->begin_step(st);  // collective at window boundaries
    const StepResult r = runner_.run(shard, plan, st, st_.step, lr_, timeline_.begin_step(st_.step));
    timeline_.end_step(st_.step);
    ++st_.step, st_.step_in_epoch = st + 1, st_.skipped += r.skipped;
    if (r.skipped) spdlog::warn("step {}: non-finite gradient norm, step skipped ({} so far)", st_.step, st_.skipped);
    counters_.add_step(r.loss_sum, r.samples, r.correct);
    if (opts_.on_step && !report_step(r, st_.step - 1)) {
      out.stop_reason = StopReason::max_steps, go_on = false;
      break;
    }
    const double el = wall_time() - t_epoch;
    const double done = static_cast<double>(st + 1 - first);
    progress.update(epoch, st, counters_.local_mean_loss(), counters_.local_seen() * comm_.size() / std::max(el, 1e-9),
                    static_cast<double>((s_.epochs - epoch) * plan.steps() - st - 1) * el / done);
    if (checkpoints_on() && s_.ckpt.every_steps > 0 && st_.step % s_.ckpt.every_steps == 0 && st + 1 < plan.steps())
      checkpoint();
    if (st_.step % 10 == 0 && poll_stop_or_checkpoint()) {
      out.stop_reason = StopReason::signal;
      progress.finish_line();
      return false;
    }
  }
  progress.finish_line();
  comm_.barrier();
  finish_epoch(epoch, wall_time() - t_epoch, data_s + (stream_ ? stream_->take_wait_seconds() : 0.0), out);
  return go_on;
}

void Trainer::finish_epoch(int64_t epoch, double epoch_s, double data_s, TrainOutcome& out) {
  counters_.fold(st_.loss_sum, st_.seen, st_.correct);
  const double seen = st_.seen, trained_here = st_.seen - seen_before_;  // this process's part of the epoch
  out.train_loss = st_.loss_sum / std::max(seen, 1.0);
  const int64_t positions = loss_->target_slots(1);  // with class maps `correct` counts positions
  EpochTraining tr;
  tr.epoch = epoch + 1, tr.step = st_.step, tr.loss = out.train_loss, tr.regression = loss_->regression();
  tr.accuracy = st_.correct / std::max(seen * static_cast<double>(positions), 1.0);
  tr.accuracy_known = !(s_.has_ignore && positions > 1);
  tr.samples_per_s = trained_here / epoch_s, tr.epoch_s = epoch_s, tr.data_s = data_s, tr.lr = lr_;
  st_.loss_sum = st_.seen = st_.correct = 0, seen_before_ = 0;
  average_buffers(model_.buffers(), comm_);
  const double t_eval = wall_time();
  out.val = eval(data_.val()), out.test = eval(data_.test());
  const double eval_s = wall_time() - t_eval;
  timeline_.span("evaluation", t_eval, t_eval + eval_s);
  tr.elapsed_s = st_.elapsed_s + wall_time() - t0_;
  nlohmann::json rec = epoch_record(tr, eval_s);
  if (data_.val()) put_eval_fields(rec, "val", out.val);
  if (data_.test()) put_eval_fields(rec, "test", out.test);
  if (st_.skipped) rec["skipped_steps"] = st_.skipped;
  if (data_.val() && early_.update(metric_value(out.val, early_.metric()), epoch + 1)) {
    copy_weights(model_, best_params_, best_buffers_);
    StreamData::ReadPause pause(stream_.get());
    if (comm_.rank() == 0 && !dir_.root.empty())
      save_model(dir_.file("best_model.h5"), model_, {cfg_.to_yaml(), model_.input_shape(), epoch + 1, st_.step});
  }
  timeline_.put_epoch_summary(rec);
  if (metrics_.active()) metrics_.write(rec);
  spdlog::info("epoch {}/{}: {}{}{} | {:.0f} samples/s | {:.1f} s", epoch + 1, s_.epochs, training_text(tr),
               data_.val() ? " | val " + eval_text(out.val) : "", data_.test() ? " | test " + eval_text(out.test) : "",
               tr.samples_per_s, epoch_s);
  out.epochs = epoch + 1;
  if (st_.step_in_epoch == sampler_.steps_per_epoch()) st_.epoch = epoch + 1, st_.step_in_epoch = 0;
  if (checkpoints_on() && s_.ckpt.every_epoch) checkpoint();
}

void Trainer::finish_run(TrainOutcome& out) {
  stream_.reset();  // the reader thread closes its files before model.h5 is written
  if (early_.enabled() && early_.best_epoch() > 0 && !best_params_.empty()) {
    std::copy(best_params_.begin(), best_params_.end(), model_.store().params());
    std::copy(best_buffers_.begin(), best_buffers_.end(), model_.buffers().params());
    out.val = eval(data_.val()), out.test = eval(data_.test());
    out.best_epoch = early_.best_epoch();
    spdlog::info("restored the weights of epoch {} (best {} {:.4f})", early_.best_epoch(), early_.metric(),
                 early_.best());
  }
  timeline_.finish();
  out.steps = st_.step;
  out.seconds = st_.elapsed_s + wall_time() - t0_;
  copy_weights(model_, out.params, out.buffers);
  const std::string reason(to_string(out.stop_reason));
  nlohmann::json end = {{"event", "end"}, {"reason", reason}, {"step", st_.step}, {"epochs", out.epochs}};
  if (out.best_epoch) end["best_epoch"] = out.best_epoch, end["best_" + early_.metric()] = early_.best();
  if (data_.val()) put_eval_fields(end, "val", out.val);
  if (data_.test()) put_eval_fields(end, "test", out.test);
  // model.h5 before the end record: a run with an end record always has its model.
  if (comm_.rank() == 0 && !dir_.root.empty() && out.stop_reason != StopReason::signal) {
    save_model(dir_.file("model.h5"), model_, {cfg_.to_yaml(), model_.input_shape(), out.epochs, st_.step});
    spdlog::info("model written to {}", dir_.file("model.h5"));
  }
  if (metrics_.active()) metrics_.write(end);
}

void Trainer::start() {
  model_.context().seed = s_.seed;
  model_.context().allreduce = [this](double* p, int64_t n) { comm_.allreduce_sum(p, n); };
  if (comm_.rank() == 0) model_.init(s_.seed);
  comm_.bcast(model_.store().params(), model_.store().size(), 0);
  comm_.bcast(model_.buffers().params(), model_.buffers().size(), 0);
  if (!s_.init_from.empty())  // every rank: each fails alike
    load_state_dict_file(s_.init_from, model_, s_.init_by_position ? InitMatch::Position : InitMatch::Name);
  if (opts_.resume.empty()) return;
  const std::string path = choose_checkpoint(dir_, opts_.resume, model_.architecture());
  if (!path.empty()) restore(path);
}

TrainOutcome Trainer::run() {
  log_setup();
  if (!opts_.resume.empty() && resumed_from_.empty())
    log::result(fmt::format("no checkpoint in {}: starting from the beginning", dir_.checkpoints()));
  if (!resumed_from_.empty() && !finished_) {  // shown even with -q: what --resume did
    log::result(fmt::format("resumed from {} at step {} (epoch {}, step {} of it) on {} ranks", resumed_from_, st_.step,
                            st_.epoch + 1, st_.step_in_epoch, comm_.size()));
    if (comm_.rank() == 0 && !dir_.root.empty()) truncate_metrics(dir_, st_.step);
  }
  if (finished_ && model_missing_) return complete_finished_run();
  if (finished_) {
    spdlog::warn(
        "{} already finished at step {} (epoch {} of {}): nothing to train, its files are left as they are; "
        "raise train.epochs or train.max_steps to train further",
        dir_.root.empty() ? std::string("the run") : dir_.root, st_.step, st_.epoch, s_.epochs);
    TrainOutcome done;
    done.stop_reason = StopReason::already_finished, done.steps = st_.step, done.epochs = st_.epoch;
    copy_weights(model_, done.params, done.buffers);
    return done;
  }
  if (comm_.rank() == 0 && !dir_.root.empty()) metrics_ = MetricsWriter(dir_.file("metrics.jsonl"));
  TrainOutcome out;
  out.stop_reason = StopReason::epochs;
  t0_ = last_ckpt_time_ = wall_time();
  for (int64_t epoch = st_.epoch; epoch < s_.epochs; ++epoch) {
    if (!run_epoch(epoch, out)) break;
    if (early_.should_stop()) {
      out.stop_reason = StopReason::early_stopping;
      spdlog::info("early stopping: no {} improvement for {} epochs (best epoch {})", early_.metric(), s_.patience,
                   early_.best_epoch());
      break;
    }
  }
  if (out.stop_reason == StopReason::signal)
    spdlog::warn("stopped by signal {} at step {}{}", stop_signal(), st_.step,
                 checkpoints_on() ? "; checkpoint written: continue with --resume auto" : "");
  // The end state is always checkpointed (a no-op when this step was just saved): a later
  // --resume auto then knows the run ended, and raising train.epochs continues from the very end.
  if (out.stop_reason != StopReason::signal && checkpoints_on()) checkpoint();
  finish_run(out);
  return out;
}

}  // namespace

TrainOutcome train(const Config& cfg, const Comm& comm, const TrainOptions& opts) {
  return train(read_train_config(cfg), comm, opts);
}

TrainOutcome train(const TrainConfig& tc, const Comm& comm, const TrainOptions& opts) {
  const TrainSettings& s = tc.s;
  configure_threads(s, comm);
  const std::string yaml = tc.cfg.to_yaml();
  comm.check_same(std::hash<std::string>{}(yaml),
                  "resolved config (same config file and --set options on every rank?)");
  const StopSignals signals;
  if (!Comm::watchdog_running()) Comm::start_watchdog(s.comm.watchdog_timeout, s.comm.heartbeat_timeout);
  const RunDir dir{opts.out_dir};
  check_run_dir(dir, opts.overwrite, !opts.resume.empty(), comm);
  Trainer t(tc, comm, opts);  // opens and checks the data before the run directory is touched
  t.start();                  // ... and the checkpoint to resume from
  comm.barrier();             // a rank that failed its checks has aborted the job by now
  open_run_dir(dir, yaml, !opts.resume.empty(), comm);
  std::unique_ptr<log::ScopedLogFile> log_file;
  if (comm.rank() == 0 && !dir.root.empty()) log_file = std::make_unique<log::ScopedLogFile>(dir.file("train.log"));
  return t.run();
}

}  // namespace dpt
