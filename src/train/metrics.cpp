#include "train/metrics.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"

namespace dpt {

nlohmann::json epoch_record(const EpochTraining& e, double eval_s) {
  nlohmann::json rec = {{"epoch", e.epoch}, {"step", e.step}, {"train_loss", e.loss}};
  if (e.regression)
    rec["train_rmse"] = std::sqrt(e.loss);
  else if (e.accuracy_known)
    rec["train_accuracy"] = e.accuracy;
  rec.update({{"samples_per_s", e.samples_per_s},
              {"epoch_s", e.epoch_s},
              {"data_s", e.data_s},
              {"eval_s", eval_s},
              {"lr", e.lr},
              {"elapsed_s", e.elapsed_s}});
  return rec;
}

std::string training_text(const EpochTraining& e) {
  std::string t = fmt::format("train loss {:.4f}", e.loss);
  if (e.regression) return t + fmt::format(" rmse {:.4f}", std::sqrt(e.loss));
  return e.accuracy_known ? t + fmt::format(" acc {:.4f}", e.accuracy) : t;
}

MetricsWriter::MetricsWriter(const std::string& path) : path_(path), out_(path, std::ios::app) {
  if (!out_) fail("{}: cannot open metrics file for writing", path);
}

void MetricsWriter::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) fail("{}: writing metrics failed (disk full?)", path_);
}

}  // namespace dpt
