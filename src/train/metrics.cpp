#include "train/metrics.hpp"

#include "core/error.hpp"

namespace dpt {

MetricsWriter::MetricsWriter(const std::string& path) : path_(path), out_(path, std::ios::app) {
  if (!out_) fail("{}: cannot open metrics file for writing", path);
}

void MetricsWriter::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) fail("{}: writing metrics failed (disk full?)", path_);
}

}  // namespace dpt
