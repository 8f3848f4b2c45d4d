// A sweep directory: sweep.yaml (a copy of the grid file), points.tsv (the plan: one line per point,
// "INDEX<TAB>RUN<TAB>CONFIG<TAB>KEY=VALUE..." under a header line; RUN is the point's run directory
// relative to the sweep directory) and one run directory per point. Written by `dptrain
// sweep-plan`; read by launch/sweep.sh, launch/sweep.sbatch, `dptrain compare` and `dptrain plot`.
#pragma once
#include <string>
#include <vector>

#include "cli/sweep_grid.hpp"

namespace dpt::cli {

// The text of points.tsv for a plan.
std::string points_tsv(const SweepPlan& plan);

// Makes `dir` the plan's sweep directory: a new (or empty) directory gets sweep.yaml and
// points.tsv; a sweep directory with the same points.tsv is left as it is (the sweep resumes: returns
// true). Refuses, changing nothing, a directory that holds anything else or a different sweep.
bool open_sweep_dir(const SweepPlan& plan, const std::string& dir);

// A run named on the command line of compare or plot.
struct RunArg {
  std::string path;
  bool sweep_point = false;       // one of a sweep's points (it may not have started yet)
  std::vector<std::string> sets;  // a sweep point's KEY=VALUE settings (from points.tsv)
};

// The run directories named by `args`: a sweep directory stands for its points (in points.tsv's
// order); a sweep's own files (points.tsv, sweep.yaml, logs/), as `runs/sweep/*` names them, are left
// out; anything else is a run.
std::vector<RunArg> expand_run_args(const std::vector<std::string>& args);

}  // namespace dpt::cli
