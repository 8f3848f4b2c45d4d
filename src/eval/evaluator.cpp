#include "eval/evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "comm/fail_together.hpp"
#include "core/error.hpp"
#include "kernels/dense_xent.hpp"
#include "kernels/softmax.hpp"

namespace dpt {

namespace {
// What one evaluation computes, from the model's output shape and the loss.
struct Task {
  int64_t C = 0;         // outputs per sample
  int64_t S = 1, K = 0;  // segmentation: positions per sample and classes (C = K x S)
  int64_t T = 0, P = 1;  // regression: outputs (channels) and positions per output
  bool regression = false, segmentation = false, confusion = false;
  LossOptions o;
};

Task task_of(const Model& model, const Loss<float>& loss, bool confusion) {
  Task t;
  const Shape& out = model.output_shape();
  t.C = numel(out), t.o = loss.options(), t.regression = loss.regression();
  t.S = t.o.positions, t.K = t.C / t.S, t.segmentation = !t.regression && t.S > 1;
  t.confusion = confusion || t.segmentation;
  t.T = out.empty() ? 1 : out[0], t.P = t.C / t.T;
  return t;
}

// This rank's sums.
struct Acc {
  double loss = 0, abs = 0;
  int64_t correct = 0, counted = 0, rows = 0;
  std::vector<int64_t> confusion;  // (K, K)
  std::vector<double> stats;       // regression: rows x (4 T) (eval/dense_metrics.hpp)
};

void add_confusion(const Task& t, const Shard& shard, int64_t i, int64_t b, const int32_t* pred, Acc& acc) {
  for (int64_t k = 0; k < b; ++k) {
    const int32_t* y = shard.y_at(i + k);
    for (int64_t s = 0; s < t.S; ++s)
      if (!(t.o.has_ignore && y[s] == t.o.ignore_index)) ++acc.confusion[y[s] * t.K + pred[k * t.S + s]];
  }
}

void add_stats(const Task& t, const Shard& shard, int64_t i, int64_t b, const float* out, Acc& acc) {
  std::vector<float> y(static_cast<size_t>(t.C));
  const size_t at = acc.stats.size();
  acc.stats.resize(at + static_cast<size_t>(b * kRowStats * t.T));
  for (int64_t k = 0; k < b; ++k) {
    std::memcpy(y.data(), shard.y_at(i + k), y.size() * sizeof(float));  // float32 targets' bits
    row_output_stats(out + k * t.C, y.data(), t.T, t.P, acc.stats.data() + at + k * kRowStats * t.T);
  }
}

// Forward passes over the shard into acc.
void run_batches(Model& model, const Loss<float>& loss, const Task& t, const Shard& shard, Acc& acc) {
  std::vector<int32_t> pred(t.confusion ? static_cast<size_t>(model.max_batch() * t.S) : 0);
  model.context().training = false;
  for (int64_t i = 0; i < shard.rows; i += model.max_batch()) {
    const int64_t b = std::min(model.max_batch(), shard.rows - i);
    const float* out = model.forward(shard.x_at(i), b);
    const LossResult r = loss.compute(out, Targets{shard.y_at(i)}, b, t.C, 1.0f, nullptr);
    acc.loss += r.loss_sum, acc.abs += r.abs_sum, acc.correct += r.correct, acc.counted += r.counted;
    if (t.regression) add_stats(t, shard, i, b, out, acc);
    if (!t.confusion) continue;
    if (t.segmentation)
      kern::softmax_channels(out, b, t.K, t.S, static_cast<float*>(nullptr), pred.data());
    else
      kern::argmax_rows(out, b, t.C, pred.data());
    add_confusion(t, shard, i, b, pred.data(), acc);
  }
  acc.rows += shard.rows;
}

// The sums of every rank -> the result (collective).
EvalResult finish(const Task& t, Acc& acc, const Comm& comm) {
  double d[2] = {acc.loss, acc.abs};
  int64_t c[3] = {acc.correct, acc.counted, acc.rows};
  comm.allreduce_sum(d, 2, "evaluation sums");
  comm.allreduce_sum(c, 3, "evaluation counts");
  EvalResult e;
  e.samples = c[2], e.regression = t.regression, e.segmentation = t.segmentation;
  if (t.confusion) {
    comm.allreduce_sum(acc.confusion.data(), static_cast<int64_t>(acc.confusion.size()), "confusion matrix");
    e.confusion = std::move(acc.confusion);
  }
  if (t.regression) e.outputs = combine_output_stats(acc.stats, acc.rows, t.T, t.P, comm);
  if (e.samples <= 0) return e;
  const double N = static_cast<double>(e.samples);
  e.loss = d[0] / N, e.accuracy = c[1] > 0 ? static_cast<double>(c[0]) / static_cast<double>(c[1]) : 0;
  if (t.segmentation) e.positions = c[1], e.iou = class_iou(e.confusion, t.K), e.miou = mean_iou(e.iou);
  if (!t.regression) return e;
  e.mse = e.loss, e.rmse = std::sqrt(e.mse), e.mae = d[1] / N;
  double sse = 0, sst = 0;  // variance-weighted R^2 over the outputs
  for (const OutputMetrics& m : e.outputs) sse += m.sse, sst += m.sst;
  e.r2 = sst > 0 ? 1.0 - sse / sst : std::numeric_limits<double>::quiet_NaN();
  return e;
}

// Runs `feed(f)`, which calls f(shard) for each part of this rank's rows, and combines the sums.
template <class Feed>
EvalResult evaluate_parts(Model& model, const Loss<float>& loss, const Comm& comm, bool confusion, Feed&& feed) {
  const Task t = task_of(model, loss, confusion);
  Acc acc;
  if (t.confusion) acc.confusion.assign(static_cast<size_t>(t.K * t.K), 0);
  fail_together(
      comm, [&] { feed([&](const Shard& s) { run_batches(model, loss, t, s, acc); }); }, "evaluation data");
  return finish(t, acc, comm);
}

template <class Feed>
ClassEval evaluate_class_parts(Model& model, const Loss<float>& loss, const Comm& comm, Feed&& feed) {
  ClassEval e;
  e.overall = evaluate_parts(model, loss, comm, true, feed);
  e.classes = task_of(model, loss, true).K;
  e.confusion = e.overall.confusion;
  return e;
}

// Rows [lo, hi) of src, read a batch at a time.
auto source_parts(const SampleSource& src, int64_t lo, int64_t hi, int64_t rows) {
  return [&src, lo, hi, rows](const auto& f) {
    for (int64_t a = lo; a < hi; a += rows) f(load_block(src, a, std::min(hi, a + rows)));
  };
}
}  // namespace

EvalResult evaluate(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm) {
  return evaluate_parts(model, loss, comm, false, [&](const auto& f) { f(shard); });
}

EvalResult evaluate(Model& model, const Loss<float>& loss, const SampleSource& src, int64_t lo, int64_t hi,
                    const Comm& comm) {
  return evaluate_parts(model, loss, comm, false, source_parts(src, lo, hi, model.max_batch()));
}

ClassEval evaluate_classes(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm) {
  return evaluate_class_parts(model, loss, comm, [&](const auto& f) { f(shard); });
}

ClassEval evaluate_classes(Model& model, const Loss<float>& loss, const SampleSource& src, int64_t lo, int64_t hi,
                           const Comm& comm) {
  return evaluate_class_parts(model, loss, comm, source_parts(src, lo, hi, model.max_batch()));
}

int64_t ClassEval::class_samples(int64_t c) const {
  int64_t s = 0;
  for (int64_t p = 0; p < classes; ++p) s += count(c, p);
  return s;
}

double ClassEval::class_accuracy(int64_t c) const {
  const int64_t n = class_samples(c);
  return n > 0 ? static_cast<double>(count(c, c)) / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

namespace {
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
}  // namespace

void put_eval_fields(nlohmann::json& rec, const std::string& split, const EvalResult& e) {
  rec[split + "_loss"] = e.loss;
  if (!e.regression) {
    rec[split + "_accuracy"] = e.accuracy;
    if (e.segmentation) rec[split + "_miou"] = number(e.miou);
    return;
  }
  rec[split + "_rmse"] = e.rmse, rec[split + "_mae"] = e.mae, rec[split + "_r2"] = number(e.r2);
  if (e.outputs.size() < 2) return;
  nlohmann::json r2 = nlohmann::json::array();
  for (const OutputMetrics& m : e.outputs) r2.push_back(number(m.r2));
  rec[split + "_r2_per_output"] = r2;
}

std::string eval_text(const EvalResult& e) {
  if (e.segmentation) return fmt::format("loss {:.4f} acc {:.4f} miou {:.4f}", e.loss, e.accuracy, e.miou);
  if (!e.regression) return fmt::format("loss {:.4f} acc {:.4f}", e.loss, e.accuracy);
  return fmt::format("mse {:.4f} rmse {:.4f} mae {:.4f} r2 {:.4f}", e.mse, e.rmse, e.mae, e.r2);
}

double metric_value(const EvalResult& e, const std::string& metric) {
  if (metric == "val_loss") return e.loss;
  if (!e.regression && metric == "val_accuracy") return e.accuracy;
  if (e.segmentation && metric == "val_miou") return e.miou;
  if (e.regression && metric == "val_rmse") return e.rmse;
  if (e.regression && metric == "val_mae") return e.mae;
  if (e.regression && metric == "val_r2") return e.r2;
  fail("early_stopping.metric = {} is not reported for {}", metric,
       e.regression     ? "regression"
       : e.segmentation ? "segmentation"
                        : "classification (without class maps)");
}

void check_metric_for_loss(const std::string& metric, const std::string& loss) {
  const bool regression_metric = metric == "val_rmse" || metric == "val_mae" || metric == "val_r2";
  if (is_regression_loss(loss) ? metric == "val_accuracy" || metric == "val_miou" : regression_metric)
    fail("config: early_stopping.metric = {} does not fit loss = {} ({}: val_loss{})", metric, loss,
         is_regression_loss(loss) ? "regression" : "classification",
         is_regression_loss(loss) ? ", val_rmse, val_mae, val_r2" : ", val_accuracy, val_miou (class maps)");
}

}  // namespace dpt
