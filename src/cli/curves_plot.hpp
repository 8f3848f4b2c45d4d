// `dptrain plot`: loss and accuracy curves of one or more runs in one PNG, drawn by gnuplot.
// Four panels: loss and accuracy against the epoch (top) and against elapsed wall time (bottom);
// train solid, test dashed, validation dotted; one colour per run.
#pragma once
#include <string>
#include <vector>

#include "cli/run_metrics.hpp"

namespace dpt::cli {

struct CurveRun {
  std::string label;  // legend name of the run
  RunMetrics metrics;
};

// Reads every run (a run directory or a metrics .jsonl file) and names it by its directory. A sweep
// directory stands for its points, a sweep's own files (runs/sweep/* names them) are left out, and
// so are its points without an epoch record yet (cli/sweep_dir.hpp).
std::vector<CurveRun> read_curve_runs(const std::vector<std::string>& runs);

// Writes one data file per run into `dir` and returns the gnuplot script that draws them into `png`.
std::string curves_script(const std::vector<CurveRun>& runs, const std::string& dir, const std::string& png);

// The whole command: read, draw in a temporary directory, move the PNG to `out_png`.
void plot_curves(const std::vector<std::string>& runs, const std::string& out_png);

}  // namespace dpt::cli
