// dptrain compare RUN_DIR|SWEEP_DIR... [--sort COLUMN] [--asc|--desc] [--csv FILE]
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/compare_table.hpp"
#include "cli/run_summary.hpp"
#include "cli/sweep_dir.hpp"
#include "core/error.hpp"

namespace dpt::cli {

namespace {
namespace fs = std::filesystem;

void write_csv(const std::string& path, const std::string& text) {
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::is_directory(dir)) fail("{}: directory '{}' does not exist", path, dir.string());
  const std::string part = path + ".part";
  std::ofstream(part, std::ios::binary) << text;
  std::error_code ec;
  if (fs::file_size(part, ec) != text.size() || ec) {
    fs::remove(part, ec);
    fail("{}: cannot write the file", path);
  }
  fs::rename(part, path, ec);
  if (ec) fail("{}: cannot write the file: {}", path, ec.message());
}
}  // namespace

Run add_compare(CLI::App& app) {
  auto* cmd = app.add_subcommand("compare", "one table of several runs (or of a sweep's points): settings and results");
  struct Args {
    std::vector<std::string> runs;
    std::string sort, csv;
    bool asc = false, desc = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("runs", a->runs, "run directories (train --out DIR) or sweep directories (launch/sweep.sh --out DIR)")
      ->required();
  cmd->add_option("--sort", a->sort,
                  "column to sort by (default: test_accuracy, else best_val_accuracy, test_rmse, best_val_rmse, "
                  "test_loss, best_val_loss, train_loss: the first the table has)");
  auto* asc = cmd->add_flag("--asc", a->asc, "ascending (default: best first: descending for accuracy and r2)");
  auto* desc = cmd->add_flag("--desc", a->desc, "descending");
  asc->excludes(desc);
  cmd->add_option("--csv", a->csv, "also write the table as CSV to FILE (numbers at full precision)");
  cmd->footer(
      "Columns: run; the config keys whose values differ between the runs (from RUN/config.yaml); best and\n"
      "final validation metrics (best_val_X, final_val_X); final test metrics (test_X: after early stopping's\n"
      "restore where it ran); train_loss; epochs; time_s; status (done, interrupted, unfinished, no epoch yet,\n"
      "not started). A sweep directory (with points.tsv) stands for its points; runs without metrics are listed.");
  return [a] {
    std::vector<RunSummary> runs;
    for (const auto& r : expand_run_args(a->runs)) runs.push_back(summarize_run(r));
    if (runs.empty()) fail("{}: no runs to compare (only a sweep's own files)", a->runs.front());
    CompareTable t = compare_table(runs);
    const std::string column = a->sort.empty() ? default_sort_column(t) : a->sort;
    if (!column.empty()) sort_table(t, column, a->asc ? "asc" : a->desc ? "desc" : "");
    if (!a->csv.empty()) write_csv(a->csv, table_csv(t));
    fmt::print("{}", table_text(t));
    std::fflush(stdout);
    if (!column.empty())
      spdlog::info("{} runs, sorted by {} ({})", runs.size(), column,
                   a->asc    ? "ascending"
                   : a->desc ? "descending"
                             : "best first");
    if (!a->csv.empty()) spdlog::info("wrote {}", a->csv);
    return 0;
  };
}

}  // namespace dpt::cli
