#include "eval/evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "comm/fail_together.hpp"
#include "core/error.hpp"
#include "kernels/softmax.hpp"

namespace dpt {

namespace {
// Regression sums beyond the loss: per output j, sum of y and of y^2 (for R^2's total sum of squares).
void add_target_sums(const Shard& shard, int64_t i, int64_t b, int64_t C, double* sum_y, double* sum_yy) {
  for (int64_t k = 0; k < b; ++k)
    for (int64_t j = 0; j < C; ++j) {
      float v;
      std::memcpy(&v, shard.y_at(i + k) + j, sizeof v);
      sum_y[j] += v, sum_yy[j] += static_cast<double>(v) * v;
    }
}

// Forward passes over the shard. sums: [loss, correct, abs] then, for regression, C sums of y and
// C sums of y^2; confusion (not null): this rank's (C, C) counts.
void run_batches(Model& model, const Loss<float>& loss, const Shard& shard, double* sums, int64_t* confusion) {
  const int64_t C = numel(model.output_shape());
  std::vector<int32_t> pred(confusion ? static_cast<size_t>(model.max_batch()) : 0);
  model.context().training = false;
  for (int64_t i = 0; i < shard.rows; i += model.max_batch()) {
    const int64_t b = std::min(model.max_batch(), shard.rows - i);
    const float* out = model.forward(shard.x_at(i), b);
    Targets t{shard.y_at(i)};
    const LossResult r = loss.compute(out, t, b, C, 1.0f, nullptr);
    sums[0] += r.loss_sum;
    sums[1] += static_cast<double>(r.correct);
    sums[2] += r.abs_sum;
    if (loss.regression()) add_target_sums(shard, i, b, C, sums + 3, sums + 3 + C);
    if (!confusion) continue;
    kern::argmax_rows(out, b, C, pred.data());
    for (int64_t k = 0; k < b; ++k) ++confusion[shard.y[i + k] * C + pred[k]];
  }
}

EvalResult mean_of(const double* sums, int64_t n, bool regression, int64_t C) {
  EvalResult e;
  e.samples = n, e.regression = regression;
  if (n <= 0) return e;
  const double N = static_cast<double>(n);
  e.loss = sums[0] / N, e.accuracy = sums[1] / N;
  if (!regression) return e;
  e.mse = e.loss, e.rmse = std::sqrt(e.mse), e.mae = sums[2] / N;
  double ss_tot = 0;
  for (int64_t j = 0; j < C; ++j) ss_tot += std::max(0.0, sums[3 + C + j] - sums[3 + j] * sums[3 + j] / N);
  const double ss_res = sums[0] * static_cast<double>(C);
  e.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : std::numeric_limits<double>::quiet_NaN();
  return e;
}

// Runs `feed(f)`, which calls f(shard) for each part of this rank's rows, and all-reduces the sums.
template <class Feed>
EvalResult evaluate_parts(Model& model, const Loss<float>& loss, const Comm& comm, Feed&& feed) {
  const int64_t C = numel(model.output_shape());
  std::vector<double> sums(3 + (loss.regression() ? 2 * C : 0), 0.0);
  int64_t n = 0;
  fail_together(
      comm, [&] { feed([&](const Shard& s) { run_batches(model, loss, s, sums.data(), nullptr), n += s.rows; }); },
      "evaluation data");
  comm.allreduce_sum(sums.data(), static_cast<int64_t>(sums.size()));
  comm.allreduce_sum(&n, 1);
  return mean_of(sums.data(), n, loss.regression(), C);
}

template <class Feed>
ClassEval evaluate_class_parts(Model& model, const Loss<float>& loss, const Comm& comm, Feed&& feed) {
  ClassEval e;
  e.classes = numel(model.output_shape());
  std::vector<int64_t> counts(static_cast<size_t>(e.classes * e.classes + 1), 0);  // confusion, then n
  double sums[3] = {0, 0, 0};
  fail_together(
      comm,
      [&] { feed([&](const Shard& s) { run_batches(model, loss, s, sums, counts.data()), counts.back() += s.rows; }); },
      "evaluation data");
  comm.allreduce_sum(sums, 3, "evaluation sums");
  comm.allreduce_sum(counts.data(), static_cast<int64_t>(counts.size()), "confusion matrix");
  e.overall = mean_of(sums, counts.back(), false, e.classes);
  counts.pop_back();
  e.confusion = std::move(counts);
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
  return evaluate_parts(model, loss, comm, [&](const auto& f) { f(shard); });
}

EvalResult evaluate(Model& model, const Loss<float>& loss, const SampleSource& src, int64_t lo, int64_t hi,
                    const Comm& comm) {
  return evaluate_parts(model, loss, comm, source_parts(src, lo, hi, model.max_batch()));
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
    return;
  }
  rec[split + "_rmse"] = e.rmse, rec[split + "_mae"] = e.mae, rec[split + "_r2"] = number(e.r2);
}

std::string eval_text(const EvalResult& e) {
  if (!e.regression) return fmt::format("loss {:.4f} acc {:.4f}", e.loss, e.accuracy);
  return fmt::format("mse {:.4f} rmse {:.4f} mae {:.4f} r2 {:.4f}", e.mse, e.rmse, e.mae, e.r2);
}

double metric_value(const EvalResult& e, const std::string& metric) {
  if (metric == "val_loss") return e.loss;
  if (!e.regression && metric == "val_accuracy") return e.accuracy;
  if (e.regression && metric == "val_rmse") return e.rmse;
  if (e.regression && metric == "val_mae") return e.mae;
  if (e.regression && metric == "val_r2") return e.r2;
  fail("early_stopping.metric = {} is not reported for {}", metric, e.regression ? "regression" : "classification");
}

void check_metric_for_loss(const std::string& metric, const std::string& loss) {
  const bool regression_metric = metric == "val_rmse" || metric == "val_mae" || metric == "val_r2";
  if (is_regression_loss(loss) ? metric == "val_accuracy" : regression_metric)
    fail("config: early_stopping.metric = {} does not fit loss = {} ({}: val_loss{})", metric, loss,
         is_regression_loss(loss) ? "regression" : "classification",
         is_regression_loss(loss) ? ", val_rmse, val_mae, val_r2" : ", val_accuracy");
}

}  // namespace dpt
