// What `dptrain evaluate` prints: a table for people or one JSON object for programs.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "eval/evaluator.hpp"

namespace dpt::cli {

struct EvalReportInfo {
  std::string model, data, features;
  std::vector<std::string> class_names;  // empty: unknown (classes are shown by index)
};

// Summary line, per-class accuracy and the confusion matrix (rows: true class, columns: predicted).
std::string eval_table(const ClassEval& e, const EvalReportInfo& info);
// {"model", "data", "features", "samples", "loss", "accuracy", "per_class_accuracy" (null for a
//  class without samples), "per_class_samples", "confusion" ([true][predicted]), "class_names"?}
nlohmann::json eval_json(const ClassEval& e, const EvalReportInfo& info);

// A regression model: "MODEL: N samples of DATA: mse .., rmse .., mae .., r2 ..", then with several
// outputs one line per output (per channel of a field output): "  output t: mse .., mae .., r2 ..".
std::string regression_text(const EvalResult& e, const EvalReportInfo& info);
// {"model", "data", "features", "samples", "loss" (= mse), "mse", "rmse", "mae", "r2" (null when
//  undefined), "per_output": [{"mse", "mae", "r2"}, ...]}
nlohmann::json regression_json(const EvalResult& e, const EvalReportInfo& info);

// A segmentation model (class maps): "MODEL: N samples (P positions) of DATA: loss .., pixel accuracy
// .., mean IoU ..", then per class its IoU ("-" when absent from truth and prediction, not in the
// mean) and its positions in the truth and in the prediction.
std::string segmentation_text(const EvalResult& e, const EvalReportInfo& info);
// {"model", "data", "features", "samples", "positions", "loss", "accuracy", "miou", "per_class_iou"
//  (null: absent), "confusion" ([true][predicted] positions), "class_names"?}
nlohmann::json segmentation_json(const EvalResult& e, const EvalReportInfo& info);

}  // namespace dpt::cli
