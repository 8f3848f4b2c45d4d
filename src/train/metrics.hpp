// metrics.jsonl: one JSON object per line, one line per epoch (rank 0 writes; flushed per line so
// a crash loses at most the line being written).
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace dpt {

// What an epoch's record (metrics.jsonl) and log line say about its training steps.
struct EpochTraining {
  int64_t epoch = 0, step = 0;    // epoch: 1-based, the one just finished
  double loss = 0, accuracy = 0;  // accuracy: of classes, or of positions with class maps
  bool regression = false;        // rmse = sqrt(loss) instead of an accuracy
  bool accuracy_known = true;     // false with loss_ignore_index over class maps (ignored positions are not misses)
  double samples_per_s = 0, epoch_s = 0, data_s = 0, lr = 0, elapsed_s = 0;
};
// {"epoch", "step", "train_loss", "train_accuracy" | "train_rmse" (neither where unknown), ...}
nlohmann::json epoch_record(const EpochTraining& e, double eval_s);
// "train loss 0.2345 acc 0.9123" ("rmse 0.4843"; only the loss where the accuracy is unknown)
std::string training_text(const EpochTraining& e);

class MetricsWriter {
 public:
  MetricsWriter() = default;
  explicit MetricsWriter(const std::string& path);  // appends
  void write(const nlohmann::json& record);
  bool active() const { return out_.is_open(); }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace dpt
