// metrics.jsonl: one JSON object per line, one line per epoch (rank 0 writes; flushed per line so
// a crash loses at most the line being written).
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace dpt {

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
