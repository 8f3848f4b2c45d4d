#include "train/early_stopping.hpp"

#include <cmath>

namespace dpt {

bool higher_is_better(const std::string& metric) {
  return metric == "val_accuracy" || metric == "val_r2" || metric == "val_miou";
}

EarlyStopping::EarlyStopping(std::string metric, int64_t patience, double min_delta)
    : metric_(std::move(metric)),
      patience_(patience),
      min_delta_(min_delta),
      best_(higher_is_better(metric_) ? -INFINITY : INFINITY) {}

bool EarlyStopping::update(double value, int64_t epoch) {
  const bool better =
      std::isfinite(value) && (higher_is_better(metric_) ? value > best_ + min_delta_ : value < best_ - min_delta_);
  if (better) {
    best_ = value, best_epoch_ = epoch, bad_epochs_ = 0;
    return true;
  }
  ++bad_epochs_;
  return false;
}

nlohmann::json EarlyStopping::to_json() const {
  nlohmann::json j = {{"best_epoch", best_epoch_}, {"bad_epochs", bad_epochs_}};
  j["best"] = std::isfinite(best_) ? nlohmann::json(best_) : nlohmann::json();  // JSON has no infinity
  return j;
}

void EarlyStopping::from_json(const nlohmann::json& j) {
  if (!j.at("best").is_null()) best_ = j.at("best").get<double>();
  best_epoch_ = j.at("best_epoch").get<int64_t>();
  bad_epochs_ = j.at("bad_epochs").get<int64_t>();
}

}  // namespace dpt
