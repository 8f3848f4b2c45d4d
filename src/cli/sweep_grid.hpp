// A sweep's grid file (`dptrain sweep-plan`, launch/sweep.sh) and its expansion into points:
//   config: launch/configs/fashion_mlp.yaml   # the base config (a path relative to the current directory)
//   ranks: 2                                   # ranks per point (default 1)
//   grid: {optimizer.lr: [0.05, 0.1], train.batch_size: [64, 128]}   # lists of values of config keys
//   random: 3      # optional: 3 points drawn from the grid (with `seed:`, default 1) instead of all
//   set: {train.epochs: 2}                     # optional: --set values of every point
// Every point is checked against the train option table (the same check as `dptrain train`)
// before anything is written; errors name the grid file, line, key and value.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dpt::cli {

struct SweepSetting {
  std::string key, value;  // value: YAML text, as --set key=value takes it
  std::string assignment() const { return key + "=" + value; }
};

struct SweepPoint {
  int64_t index = 0;                 // the Slurm array task id
  std::string name;                  // the run directory's name in the sweep directory
  std::vector<SweepSetting> values;  // one per grid key, in the grid's order
};

struct SweepPlan {
  std::string grid_file, config;
  int64_t ranks = 1;
  std::vector<SweepSetting> fixed;  // `set:`
  std::vector<SweepPoint> points;
  // The --set arguments of a point: the fixed ones, then its grid values.
  std::vector<std::string> sets(const SweepPoint& p) const;
};

// Reads, expands and checks a grid file (throws naming the file, line, key and value).
SweepPlan read_sweep_plan(const std::string& grid_file);

// A YAML value in flow style on one line, as --set takes it and sweeps name it: "0.05", "[64, 32]".
std::string flow_yaml(const YAML::Node& v);

// "optimizer.lr=0.05,train.batch_size=64" with every character but [A-Za-z0-9._+=,-] as '_'.
std::string point_name(const std::vector<SweepSetting>& values);

}  // namespace dpt::cli
