#include "train/run_start.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "checkpoint/checkpoint_dir.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace dpt {

namespace fs = std::filesystem;

namespace {

bool has_epoch_records(const std::string& metrics) {
  std::ifstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("epoch") && !j.contains("event")) return true;
  }
  return false;
}

std::string one_line(std::string s) {
  for (size_t p = s.find('\n'); p != std::string::npos; p = s.find('\n', p)) {
    size_t e = p + 1;
    while (e < s.size() && s[e] == ' ') ++e;
    const bool after_colon = p > 0 && s[p - 1] == ':';
    s.replace(p, e - p, after_colon ? " " : "; ");
  }
  return s;
}

// "DIR/ckpt-1.h5: why" lines, grouped by reason: "ckpt-1.h5, ckpt-2.h5: why".
std::string grouped(const std::vector<std::string>& reasons) {
  std::vector<std::pair<std::string, std::string>> by_reason;  // (reason, files), in first-seen order
  for (const auto& r : reasons) {
    const auto colon = r.find(".h5: ");
    const std::string file = colon == std::string::npos ? "" : fs::path(r.substr(0, colon + 3)).filename().string();
    const std::string why = colon == std::string::npos ? r : r.substr(colon + 5);
    auto it = std::find_if(by_reason.begin(), by_reason.end(), [&](const auto& p) { return p.first == why; });
    if (it == by_reason.end())
      by_reason.emplace_back(why, file);
    else
      it->second += ", " + file;
  }
  std::string s;
  for (const auto& [why, files] : by_reason) s += (s.empty() ? "" : "; ") + files + ": " + why;
  return s;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::vector<std::string> run_work(const RunDir& dir) {
  std::vector<std::string> found;
  if (dir.root.empty()) return found;
  const auto ckpts = list_checkpoints(dir.checkpoints());
  if (!ckpts.empty()) found.push_back(fmt::format("{} checkpoint(s)", ckpts.size()));
  for (const char* f : {"model.h5", "best_model.h5"})
    if (fs::exists(dir.file(f))) found.emplace_back(f);
  if (has_epoch_records(dir.file("metrics.jsonl"))) found.emplace_back("metrics.jsonl");
  return found;
}

std::string choose_checkpoint(const RunDir& dir, const std::string& resume, const std::string& architecture) {
  if (resume.empty()) return "";
  if (resume != "auto") {
    if (fs::is_directory(resume))
      fail(
          "--resume {}: is a directory: give a checkpoint file (DIR/checkpoints/ckpt-<step>.h5), or --resume auto "
          "with --out DIR",
          resume);
    check_checkpoint(resume, architecture);
    return resume;
  }
  if (dir.root.empty()) fail("--resume auto needs --out DIR (the run directory to continue)");
  std::vector<std::string> rejected;
  const std::string path = newest_valid_checkpoint(dir.checkpoints(), architecture, [&](const std::string& why) {
    const std::string prefix = "skipping checkpoint ";
    rejected.push_back(one_line(why.rfind(prefix, 0) == 0 ? why.substr(prefix.size()) : why));
  });
  if (!path.empty()) {
    for (const auto& why : rejected) spdlog::warn("skipping checkpoint {}", why);
    return path;
  }
  const auto work = run_work(dir);
  if (work.empty()) return "";  // a new directory, or a run that died before anything worth keeping
  if (rejected.empty())
    fail(
        "{}: --resume auto: the directory holds a run ({}) but no checkpoint to continue it from; nothing was "
        "changed: start it over with --overwrite, or choose another --out",
        dir.root, joined(work));
  fail(
      "{}: --resume auto: no checkpoint can continue the run in this directory ({}); nothing was changed: start it "
      "over with --overwrite, or choose another --out. Rejected: {}",
      dir.root, joined(work), grouped(rejected));
}

}  // namespace dpt
