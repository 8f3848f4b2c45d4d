// Evaluation of a model on a sharded split: each rank runs its block, the sums are all-reduced.
// Classification reports the mean loss and the accuracy; segmentation (cross_entropy with class
// maps) the per-position accuracy, the IoU of each class and their mean (eval/dense_metrics.hpp);
// regression (a loss with regression()) the mean squared error (= the mse loss), its root, the mean
// absolute error and R^2, overall and per output (per channel T of a field output (T, ...)).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "comm/comm.hpp"
#include "eval/dense_metrics.hpp"
#include "input/sample_rows.hpp"
#include "layers/loss.hpp"
#include "model/model.hpp"

namespace dpt {

struct EvalResult {
  double loss = 0;      // mean over all samples of all ranks
  double accuracy = 0;  // classification
  int64_t samples = 0;
  bool regression = false;
  // Regression, over all samples and outputs: mse (= loss), rmse = sqrt(mse), mae = mean |error|,
  // r2 = 1 - sum of squared errors / sum over outputs of the squared deviations from the output's
  // mean (sklearn's r2_score, multioutput='variance_weighted'; NaN for constant targets).
  double mse = 0, rmse = 0, mae = 0, r2 = 0;
  std::vector<OutputMetrics> outputs;  // regression: per output, or per channel of a field output
  // Segmentation: accuracy is over the scored positions (ignored labels excluded); the confusion
  // matrix (K, K) [truth][predicted] of those positions, each class's IoU (NaN: absent from truth
  // and prediction) and the mean over the classes present.
  bool segmentation = false;
  int64_t positions = 0;  // scored positions
  std::vector<int64_t> confusion;
  std::vector<double> iou;
  double miou = 0;
};

// Runs forward passes over `shard` in batches of at most model.max_batch(); every rank must call it.
EvalResult evaluate(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm);
// The same over rows [lo, hi) of `src`, read one batch at a time (the block is never held whole).
EvalResult evaluate(Model& model, const Loss<float>& loss, const SampleSource& src, int64_t lo, int64_t hi,
                    const Comm& comm);

// A classification evaluation with per-class counts (what `dptrain evaluate` reports).
struct ClassEval {
  EvalResult overall;
  int64_t classes = 0;
  std::vector<int64_t> confusion;  // (classes, classes), row-major: [true class][predicted class]
  int64_t count(int64_t truth, int64_t predicted) const { return confusion[truth * classes + predicted]; }
  int64_t class_samples(int64_t c) const;  // samples whose label is c (row sum)
  double class_accuracy(int64_t c) const;  // correct / samples of class c; NaN when it has none
};

// evaluate() plus the confusion matrix over all ranks (the predicted class is the arg-max of the
// output, the first on ties, as in the accuracy). Every rank must call it; all get the same result.
ClassEval evaluate_classes(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm);
ClassEval evaluate_classes(Model& model, const Loss<float>& loss, const SampleSource& src, int64_t lo, int64_t hi,
                           const Comm& comm);

// The metrics.jsonl fields of a split's result: `<split>_loss` and `<split>_accuracy` (plus
// `<split>_miou` for segmentation), or for regression `<split>_loss` (the mse), `<split>_rmse`,
// `<split>_mae`, `<split>_r2` and, with several outputs, `<split>_r2_per_output` (a list).
void put_eval_fields(nlohmann::json& rec, const std::string& split, const EvalResult& e);
// For log lines: "loss 0.1234 acc 0.9000" or "mse 0.1234 rmse 0.3513 mae 0.2700 r2 0.8700".
std::string eval_text(const EvalResult& e);

// Early stopping metrics: val_loss, val_accuracy (classification), val_miou (segmentation),
// val_rmse, val_mae, val_r2 (regression). The value of `metric` in `e`; throws for a metric the task does not have.
double metric_value(const EvalResult& e, const std::string& metric);
// Throws naming the option when `metric` does not fit the loss (e.g. val_accuracy with mse).
void check_metric_for_loss(const std::string& metric, const std::string& loss);

}  // namespace dpt
