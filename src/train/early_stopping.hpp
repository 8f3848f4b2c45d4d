// Early stopping on a validation metric: improvement means a lower loss, rmse or mae, or a higher
// accuracy or r2, by more than min_delta; after `patience` epochs without improvement training stops, and the weights
// of the best epoch are restored.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace dpt {

bool higher_is_better(const std::string& metric);  // val_accuracy, val_r2

class EarlyStopping {
 public:
  EarlyStopping(std::string metric, int64_t patience, double min_delta);
  bool enabled() const { return patience_ > 0; }
  // Records the metric of `epoch` (1-based); returns true when it is the best so far.
  bool update(double value, int64_t epoch);
  bool should_stop() const { return enabled() && bad_epochs_ >= patience_; }
  double best() const { return best_; }
  int64_t best_epoch() const { return best_epoch_; }
  const std::string& metric() const { return metric_; }
  nlohmann::json to_json() const;
  void from_json(const nlohmann::json& j);

 private:
  std::string metric_;
  int64_t patience_;
  double min_delta_;
  double best_;
  int64_t best_epoch_ = 0, bad_epochs_ = 0;
};

}  // namespace dpt
