#include "cli/run_summary.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>

#include "cli/run_metrics.hpp"
#include "cli/sweep_grid.hpp"
#include "core/error.hpp"

namespace dpt::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEvalMetrics[] = {"loss", "accuracy", "rmse", "mae", "r2"};

void flatten(const YAML::Node& map, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = prefix + it->first.as<std::string>();
    if (it->second.IsMap())
      flatten(it->second, key + ".", out);
    else
      out.emplace_back(key, flow_yaml(it->second));
  }
}

// RUN/config.yaml as dotted keys; a damaged one is reported and read as empty (the other runs still compare).
std::vector<std::pair<std::string, std::string>> read_config(const fs::path& file) {
  std::vector<std::pair<std::string, std::string>> out;
  try {
    const YAML::Node root = YAML::LoadFile(file.string());
    if (root.IsMap()) flatten(root, "", out);
  } catch (const YAML::Exception& e) {
    spdlog::warn("{}: unreadable ({}); its config columns stay empty", file.string(), e.what());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> settings(const std::vector<std::string>& sets) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq != std::string::npos) out.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return out;
}

bool number(const nlohmann::json& rec, const std::string& key, double& v) {
  const auto it = rec.find(key);
  if (it == rec.end() || !it->is_number()) return false;
  v = it->get<double>();
  return std::isfinite(v);
}

void add_metrics(const RunRecords& r, std::map<std::string, double>& m) {
  const nlohmann::json& last = r.epochs.back();
  const nlohmann::json& final_rec = r.end.is_object() ? r.end : last;  // the end record: after early stopping's restore
  double v = 0;
  for (const char* name : kEvalMetrics) {
    const std::string val = std::string("val_") + name, test = std::string("test_") + name;
    for (const auto& rec : r.epochs) {
      if (!number(rec, val, v)) continue;
      const auto best = m.find("best_" + val);
      if (best == m.end() || (higher_is_better(val) ? v > best->second : v < best->second)) m["best_" + val] = v;
    }
    if (number(final_rec, val, v) || number(last, val, v)) m["final_" + val] = v;
    if (number(final_rec, test, v) || number(last, test, v)) m[test] = v;
  }
  if (number(last, "train_loss", v)) m["train_loss"] = v;
  if (number(last, "epoch", v)) m["epochs"] = v;
  if (number(last, "elapsed_s", v)) m["time_s"] = v;
}

}  // namespace

bool higher_is_better(const std::string& column) {
  return column.find("accuracy") != std::string::npos || column.ends_with("_r2");
}

RunSummary summarize_run(const RunArg& arg) {
  RunSummary s{arg.path, "not started", settings(arg.sets), {}};
  const fs::path dir(arg.path);
  if (!fs::exists(dir)) {
    if (arg.sweep_point) return s;
    fail("{}: run directory not found", arg.path);
  }
  if (!fs::is_directory(dir)) fail("{}: not a run directory (train --out DIR)", arg.path);
  if (fs::is_regular_file(dir / "config.yaml")) s.config = read_config(dir / "config.yaml"), s.status = "no epoch yet";
  if (!fs::exists(dir / "metrics.jsonl")) return s;
  const RunRecords r = read_run_records(arg.path);
  if (r.epochs.empty()) return s;
  add_metrics(r, s.metrics);
  if (!r.end.is_object())
    s.status = "unfinished";
  else
    s.status = r.end.value("reason", "") == "signal" ? "interrupted" : "done";
  return s;
}

}  // namespace dpt::cli
