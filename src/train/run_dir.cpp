#include "train/run_dir.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "checkpoint/checkpoint_dir.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "core/error.hpp"

namespace dpt {

namespace fs = std::filesystem;

std::string RunDir::file(const std::string& name) const { return (fs::path(root) / name).string(); }

void check_run_dir(const RunDir& dir, bool overwrite, bool resume, const Comm& comm) {
  if (overwrite && resume)
    fail("--overwrite and --resume contradict each other (start over, or continue): give one of them");
  std::string held;  // rank 0's view of the directory, the same message on every rank
  if (comm.rank() == 0 && !dir.root.empty()) {
    if (fs::exists(dir.root) && !fs::is_directory(dir.root))
      held = "F";
    else if (!overwrite && !resume) {
      for (const char* f : {"metrics.jsonl", "model.h5", "best_model.h5"})
        if (fs::exists(dir.file(f))) held += (held.empty() ? "" : ", ") + std::string(f);
      if (!list_checkpoints(dir.checkpoints()).empty()) held += (held.empty() ? "" : ", ") + std::string("checkpoints");
    }
  }
  comm.bcast(held, 0, "run directory check");
  if (held == "F") fail("{}: exists and is not a directory: --out names the run directory", dir.root);
  if (!held.empty())
    fail(
        "{}: already holds a run ({}); choose another --out, continue it with --resume auto, or pass "
        "--overwrite",
        dir.root, held);
}

void prepare_run_dir(const RunDir& dir, const std::string& config_yaml, bool resume) {
  std::error_code ec;
  fs::create_directories(dir.checkpoints(), ec);
  if (ec || !fs::is_directory(dir.checkpoints()))
    fail("{}: cannot create the run directory ({})", dir.root, ec.message());
  const std::string path = dir.file("config.yaml");
  std::ofstream f(path, std::ios::trunc);
  f << config_yaml;
  if (!f.flush()) fail("{}: cannot write (is the directory writable?)", path);
  if (!resume) {  // a fresh run (--overwrite): nothing of the earlier run's logs carries over
    fs::remove(dir.file("metrics.jsonl"));
    fs::remove(dir.file("train.log"));
  }
}

void truncate_metrics(const RunDir& dir, int64_t step) {
  const std::string path = dir.file("metrics.jsonl"), tmp = path + ".tmp";
  std::ifstream in(path);
  if (!in) return;
  std::ofstream out(tmp, std::ios::trunc);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) continue;  // a line torn by a crash
    // An end record belongs to the run that stopped: the continued run writes its own.
    if (j.is_object() && !j.contains("event") && j.value("step", int64_t{0}) <= step) out << line << '\n';
  }
  if (!out.flush()) fail("{}: cannot write", tmp);
  out.close();
  fs::rename(tmp, path);
}

void open_run_dir(const RunDir& dir, const std::string& config_yaml, bool resume, const Comm& comm) {
  if (dir.root.empty()) return;
  const bool created = !std::filesystem::exists(dir.root);
  try {
    if (comm.rank() == 0) prepare_run_dir(dir, config_yaml, resume);
    comm.barrier();  // the checkpoint directory exists before anyone writes into it
    check_checkpoint_dir_writable(dir.checkpoints(), comm);  // fail before training
  } catch (const Error&) {
    std::error_code ec;
    if (created && comm.rank() == 0) std::filesystem::remove_all(dir.root, ec);
    throw;
  }
}

}  // namespace dpt
