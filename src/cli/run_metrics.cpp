#include "cli/run_metrics.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.hpp"

namespace dpt::cli {

namespace fs = std::filesystem;

namespace {
std::string metrics_path(const std::string& run) {
  if (!fs::exists(run)) fail("{}: run directory not found", run);
  if (!fs::is_directory(run)) {
    if (fs::path(run).extension() == ".jsonl") return run;
    fail("{}: not a run directory (nor a metrics .jsonl file)", run);
  }
  const std::string p = (fs::path(run) / "metrics.jsonl").string();
  if (!fs::exists(p)) fail("{}: no metrics.jsonl: not a dptrain run directory (train --out DIR writes one)", run);
  return p;
}

double number(const nlohmann::json& rec, const char* key) {
  const auto it = rec.find(key);
  return it != rec.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

EpochPoint point(const nlohmann::json& rec, const std::string& where) {
  const auto e = rec.find("epoch");
  if (e == rec.end() || !e->is_number_integer()) fail("{}: record without an integer 'epoch'", where);
  return {
      e->get<int64_t>(),       number(rec, "elapsed_s"),    number(rec, "train_loss"), number(rec, "train_accuracy"),
      number(rec, "val_loss"), number(rec, "val_accuracy"), number(rec, "test_loss"),  number(rec, "test_accuracy")};
}
}  // namespace

RunRecords read_run_records(const std::string& run) {
  RunRecords r;
  r.path = metrics_path(run);
  std::ifstream in(r.path, std::ios::binary);
  if (!in) fail("{}: cannot open for reading", r.path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  size_t pos = 0;
  for (int64_t line_no = 1; pos < text.size(); ++line_no) {
    const size_t end = text.find('\n', pos);
    const bool complete = end != std::string::npos;
    const std::string line = text.substr(pos, complete ? end - pos : std::string::npos);
    pos = complete ? end + 1 : text.size();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", r.path, line_no);
    nlohmann::json rec = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (rec.is_discarded() || !rec.is_object()) {
      if (!complete) {  // the line a crash cut off: everything before it is good
        spdlog::warn("{}: incomplete last line skipped", where);
        break;
      }
      fail("{}: not a JSON object: '{}'", where, line.substr(0, 80));
    }
    if (rec.contains("event")) {
      if (rec["event"] == "end") r.end = std::move(rec);
      continue;
    }
    (void)point(rec, where);  // checks the epoch number
    r.epochs.push_back(std::move(rec));
  }
  return r;
}

RunMetrics read_run_metrics(const std::string& run) {
  const RunRecords r = read_run_records(run);
  RunMetrics m;
  m.path = r.path;
  for (const auto& rec : r.epochs) m.epochs.push_back(point(rec, m.path));
  if (m.epochs.empty()) fail("{}: no epoch records yet (one is written at the end of every epoch)", m.path);
  return m;
}

}  // namespace dpt::cli
