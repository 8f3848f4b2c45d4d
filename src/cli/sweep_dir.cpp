#include "cli/sweep_dir.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace dpt::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kHeader = "index\trun\tconfig\tset";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("{}: cannot open for reading", p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// For messages: a points.tsv line with its tabs as spaces, shortened.
std::string shown(std::string line) {
  for (char& c : line)
    if (c == '\t') c = ' ';
  return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

void check_same_plan(const SweepPlan& plan, const fs::path& dir, const std::string& text) {
  const std::vector<std::string> had = lines_of(read_text(dir / "points.tsv")), now = lines_of(text);
  for (size_t i = 0; i < std::max(had.size(), now.size()); ++i) {
    const std::string a = i < had.size() ? had[i] : "(no line)", b = i < now.size() ? now[i] : "(no line)";
    if (a == b) continue;
    fail(
        "{}: holds a different sweep: line {} of its points.tsv is '{}' but {} plans '{}'; nothing was changed: "
        "choose another --out (or rerun the sweep's own grid, {}, to resume it)",
        dir.string(), i + 1, shown(a), plan.grid_file, shown(b), (dir / "sweep.yaml").string());
  }
}

void write_file(const fs::path& p, const std::string& text) {
  const fs::path part = p.string() + ".part";
  std::ofstream(part, std::ios::binary) << text;
  std::error_code ec;
  if (fs::file_size(part, ec) != text.size() || ec) fail("{}: cannot write the file (disk full?)", part.string());
  fs::rename(part, p, ec);
  if (ec) fail("{}: cannot write the file: {}", p.string(), ec.message());
}

bool is_sweep_dir(const fs::path& p) { return fs::is_directory(p) && fs::is_regular_file(p / "points.tsv"); }

// The points of a sweep directory, as RunArgs (RUN joined to the sweep directory as given).
std::vector<RunArg> sweep_points(const std::string& dir) {
  const fs::path tsv = fs::path(dir) / "points.tsv";
  const std::vector<std::string> lines = lines_of(read_text(tsv));
  if (lines.empty() || lines[0] != kHeader)
    fail("{}:1: not a dptrain sweep plan (header '{}' expected)", tsv.string(), shown(kHeader));
  std::vector<RunArg> out;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f;
    std::istringstream in(lines[i]);
    for (std::string field; std::getline(in, field, '\t');) f.push_back(field);
    if (f.size() < 3 || f[1].empty() || f[1].find('/') != std::string::npos)
      fail("{}:{}: not a points.tsv line: '{}'", tsv.string(), i + 1, shown(lines[i]));
    out.push_back({(fs::path(dir) / f[1]).string(), true, {f.begin() + 3, f.end()}});
  }
  return out;
}

}  // namespace

std::string points_tsv(const SweepPlan& plan) {
  std::string s = std::string(kHeader) + "\n";
  for (const auto& p : plan.points) {
    s += fmt::format("{}\t{}\t{}", p.index, p.name, plan.config);
    for (const auto& a : plan.sets(p)) s += "\t" + a;
    s += "\n";
  }
  return s;
}

bool open_sweep_dir(const SweepPlan& plan, const std::string& dir) {
  const fs::path d(dir);
  const std::string text = points_tsv(plan);
  if (fs::exists(d) && !fs::is_directory(d)) fail("{}: exists and is not a directory; choose another --out", dir);
  if (fs::exists(d / "points.tsv")) {
    check_same_plan(plan, d, text);
    return true;
  }
  if (fs::exists(d) && !fs::is_empty(d))
    fail("{}: exists and is not a sweep directory (no points.tsv); nothing was changed: choose another --out", dir);
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) fail("{}: cannot create the sweep directory: {}", dir, ec.message());
  write_file(d / "sweep.yaml", read_text(plan.grid_file));
  write_file(d / "points.tsv", text);  // last: a sweep directory with points.tsv is complete
  return false;
}

std::vector<RunArg> expand_run_args(const std::vector<std::string>& args) {
  std::vector<RunArg> out;
  for (const auto& arg : args) {
    if (is_sweep_dir(arg)) {
      for (auto& r : sweep_points(arg)) out.push_back(std::move(r));
      continue;
    }
    fs::path p = fs::path(arg).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();  // "runs/x/" -> "runs/x"
    const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
    if (!is_sweep_dir(parent)) {
      out.push_back({arg, false, {}});
      continue;
    }
    bool found = false;
    for (auto& r : sweep_points(parent.string()))
      if (fs::path(r.path).filename() == p.filename()) out.push_back({arg, true, std::move(r.sets)}), found = true;
    if (!found) spdlog::debug("{}: left out: a file of the sweep {}, not one of its runs", arg, parent.string());
  }
  return out;
}

}  // namespace dpt::cli
