#include "cli/eval_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dpt::cli {

namespace {
std::string class_label(const EvalReportInfo& info, int64_t c) {
  return info.class_names.empty() ? std::to_string(c) : fmt::format("{} {}", c, info.class_names[c]);
}

std::string per_class_table(const ClassEval& e, const EvalReportInfo& info, size_t label_w) {
  std::string s = fmt::format("{:<{}}  {:>8}  {:>8}\n", "class", label_w, "samples", "accuracy");
  for (int64_t c = 0; c < e.classes; ++c) {
    const double a = e.class_accuracy(c);
    s += fmt::format("{:<{}}  {:>8}  {:>8}\n", class_label(info, c), label_w, e.class_samples(c),
                     std::isnan(a) ? "-" : fmt::format("{:.4f}", a));
  }
  return s;
}

std::string confusion_table(const ClassEval& e, const EvalReportInfo& info, size_t label_w) {
  const int64_t most = e.confusion.empty() ? 0 : *std::max_element(e.confusion.begin(), e.confusion.end());
  const size_t w = std::max(fmt::formatted_size("{}", most), fmt::formatted_size("{}", e.classes - 1)) + 1;
  std::string s = "confusion matrix (rows: true class, columns: predicted class)\n";
  s += fmt::format("{:<{}}", "true \\ predicted", label_w);
  for (int64_t p = 0; p < e.classes; ++p) s += fmt::format("{:>{}}", p, w + 1);
  s += '\n';
  for (int64_t t = 0; t < e.classes; ++t) {
    s += fmt::format("{:<{}}", class_label(info, t), label_w);
    for (int64_t p = 0; p < e.classes; ++p) s += fmt::format("{:>{}}", e.count(t, p), w + 1);
    s += '\n';
  }
  return s;
}
}  // namespace

std::string eval_table(const ClassEval& e, const EvalReportInfo& info) {
  size_t label_w = 16;
  for (int64_t c = 0; c < e.classes; ++c) label_w = std::max(label_w, class_label(info, c).size());
  return fmt::format("{}: {} samples of {}: loss {:.4f}, accuracy {:.4f}\n\n", info.model, e.overall.samples, info.data,
                     e.overall.loss, e.overall.accuracy) +
         per_class_table(e, info, label_w) + "\n" + confusion_table(e, info, label_w);
}

nlohmann::json eval_json(const ClassEval& e, const EvalReportInfo& info) {
  nlohmann::json per_class = nlohmann::json::array(), samples = nlohmann::json::array(),
                 confusion = nlohmann::json::array();
  for (int64_t c = 0; c < e.classes; ++c) {
    const double a = e.class_accuracy(c);
    per_class.push_back(std::isnan(a) ? nlohmann::json(nullptr) : nlohmann::json(a));
    samples.push_back(e.class_samples(c));
    confusion.push_back(
        std::vector<int64_t>(e.confusion.begin() + c * e.classes, e.confusion.begin() + (c + 1) * e.classes));
  }
  nlohmann::json j = {{"model", info.model},
                      {"data", info.data},
                      {"features", info.features},
                      {"samples", e.overall.samples},
                      {"loss", e.overall.loss},
                      {"accuracy", e.overall.accuracy},
                      {"per_class_accuracy", per_class},
                      {"per_class_samples", samples},
                      {"confusion", confusion}};
  if (!info.class_names.empty()) j["class_names"] = info.class_names;
  return j;
}

std::string regression_text(const EvalResult& e, const EvalReportInfo& info) {
  std::string s = fmt::format("{}: {} samples of {}: mse {:.6g}, rmse {:.6g}, mae {:.6g}, r2 {:.4f}\n", info.model,
                              e.samples, info.data, e.mse, e.rmse, e.mae, e.r2);
  for (size_t t = 0; t < e.outputs.size() && e.outputs.size() > 1; ++t)
    s += fmt::format("  output {}: mse {:.6g}, mae {:.6g}, r2 {:.4f}\n", t, e.outputs[t].mse, e.outputs[t].mae,
                     e.outputs[t].r2);
  return s;
}

namespace {
nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

std::string class_label(const EvalReportInfo& info, size_t c) {
  return c < info.class_names.size() ? info.class_names[c] : std::to_string(c);
}
}  // namespace

std::string segmentation_text(const EvalResult& e, const EvalReportInfo& info) {
  const auto K = static_cast<int64_t>(e.iou.size());
  std::string s = fmt::format(
      "{}: {} samples ({} labeled positions) of {}: loss {:.4f}, pixel accuracy {:.4f}, mean "
      "IoU {:.4f}\n{:>12}  {:>7}  {:>12}  {:>12}\n",
      info.model, e.samples, e.positions, info.data, e.loss, e.accuracy, e.miou, "class", "IoU", "true pos.",
      "predicted");
  for (int64_t c = 0; c < K; ++c) {
    int64_t truth = 0, predicted = 0;
    for (int64_t j = 0; j < K; ++j) truth += e.confusion[c * K + j], predicted += e.confusion[j * K + c];
    const std::string iou = std::isnan(e.iou[c]) ? std::string("-") : fmt::format("{:.4f}", e.iou[c]);
    s += fmt::format("{:>12}  {:>7}  {:>12}  {:>12}\n", class_label(info, static_cast<size_t>(c)), iou, truth,
                     predicted);
  }
  return s;
}

nlohmann::json segmentation_json(const EvalResult& e, const EvalReportInfo& info) {
  const auto K = static_cast<int64_t>(e.iou.size());
  nlohmann::json iou = nlohmann::json::array(), confusion = nlohmann::json::array();
  for (int64_t c = 0; c < K; ++c) {
    iou.push_back(num(e.iou[c]));
    confusion.push_back(std::vector<int64_t>(e.confusion.begin() + c * K, e.confusion.begin() + (c + 1) * K));
  }
  nlohmann::json j = {{"model", info.model},    {"data", info.data},        {"features", info.features},
                      {"samples", e.samples},   {"positions", e.positions}, {"loss", e.loss},
                      {"accuracy", e.accuracy}, {"miou", num(e.miou)},      {"per_class_iou", iou},
                      {"confusion", confusion}};
  if (!info.class_names.empty()) j["class_names"] = info.class_names;
  return j;
}

namespace {
nlohmann::json per_output_json(const EvalResult& e) {
  nlohmann::json a = nlohmann::json::array();
  for (const OutputMetrics& m : e.outputs) a.push_back({{"mse", m.mse}, {"mae", m.mae}, {"r2", num(m.r2)}});
  return a;
}
}  // namespace

nlohmann::json regression_json(const EvalResult& e, const EvalReportInfo& info) {
  return {{"model", info.model},
          {"data", info.data},
          {"features", info.features},
          {"samples", e.samples},
          {"loss", e.loss},
          {"mse", e.mse},
          {"rmse", e.rmse},
          {"mae", e.mae},
          {"r2", std::isfinite(e.r2) ? nlohmann::json(e.r2) : nlohmann::json()},
          {"per_output", per_output_json(e)}};
}

}  // namespace dpt::cli
