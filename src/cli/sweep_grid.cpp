#include "cli/sweep_grid.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxPoints = 10000;  // every point is checked (~1 ms each): keep the plan quick
constexpr size_t kMaxName = 200;       // file names are at most 255 bytes on most file systems

struct Axis {
  std::string key;
  std::vector<std::string> values;
};

std::string at(const std::string& file, const YAML::Node& n) { return fmt::format("{}:{}", file, n.Mark().line + 1); }

YAML::Node load_grid_file(const std::string& path) {
  const YAML::Node root = load_yaml_file(path, "grid file");
  if (!root.IsMap())
    fail("{}: a grid file is a YAML mapping with config, grid and optionally ranks, random, seed, set", path);
  const std::set<std::string> known = {"config", "ranks", "grid", "random", "seed", "set"};
  for (auto it = root.begin(); it != root.end(); ++it)
    if (!known.count(it->first.as<std::string>()))
      fail("{}: unknown grid file key '{}' (known: config, ranks, grid, random, seed, set)", at(path, it->first),
           it->first.as<std::string>());
  return root;
}

// The value as --set takes it: YAML in flow style on one line ("0.05", "[64, 32]", "{a: 1}").
std::string value_text(const YAML::Node& v, const std::string& where, const std::string& key) {
  const std::string s = flow_yaml(v);
  if (v.IsNull() || s.empty() || s == "~") fail("{}: {} has an empty value", where, key);
  if (s.find_first_of("\t\n\r") != std::string::npos)
    fail("{}: {}: the value '{}' spans lines or holds a tab", where, key, s);
  return s;
}

void check_key(const std::string& key, const std::string& where) {
  const OptionTable& table = train_options();
  if (std::any_of(table.begin(), table.end(), [&](const OptionSpec& s) { return s.key == key; })) return;
  const std::string guess = closest_key(table, key);
  fail("{}: unknown config key '{}'{}", where, key, guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess));
}

// Nested maps form dotted keys, as in a config file ({optimizer: {lr: ...}} = {optimizer.lr: ...}).
void flatten(const YAML::Node& map, const std::string& prefix, const std::string& file,
             std::vector<std::pair<std::string, YAML::Node>>& out) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = prefix + it->first.as<std::string>();
    const bool option =
        std::any_of(train_options().begin(), train_options().end(), [&](const OptionSpec& s) { return s.key == key; });
    if (!option && it->second.IsMap()) {
      flatten(it->second, key + ".", file, out);
      continue;
    }
    check_key(key, at(file, it->first));
    for (const auto& [k, v] : out)
      if (k == key) fail("{}: '{}' is given twice", at(file, it->first), key);
    out.emplace_back(key, it->second);
  }
}

std::vector<Axis> read_axes(const YAML::Node& grid, const std::string& file) {
  if (!grid || grid.IsNull() || (grid.IsMap() && grid.size() == 0))
    fail("{}: the grid is empty: list values of config keys under 'grid:' (e.g. optimizer.lr: [0.05, 0.1])", file);
  if (!grid.IsMap())
    fail("{}: 'grid' must map config keys to lists of values (e.g. optimizer.lr: [0.05, 0.1])", at(file, grid));
  std::vector<std::pair<std::string, YAML::Node>> entries;
  flatten(grid, "", file, entries);
  std::vector<Axis> axes;
  for (const auto& [key, list] : entries) {
    const std::string where = at(file, list);
    if (!list.IsSequence())
      fail("{}: grid.{} must be a list of values, e.g. [0.05, 0.1]; got '{}'", where, key,
           value_text(list, where, key));
    if (list.size() == 0) fail("{}: grid.{} lists no values", where, key);
    Axis a{key, {}};
    for (const auto& v : list) {
      const std::string text = value_text(v, where, "grid." + key);
      if (std::find(a.values.begin(), a.values.end(), text) != a.values.end())
        fail("{}: grid.{} lists the value {} twice", where, key, text);
      a.values.push_back(text);
    }
    axes.push_back(std::move(a));
  }
  return axes;
}

int64_t read_int(const YAML::Node& root, const char* key, int64_t fallback, int64_t min, const std::string& file) {
  const YAML::Node n = root[key];
  if (!n) return fallback;
  try {
    const int64_t v = n.as<int64_t>();
    if (v >= min) return v;
  } catch (const YAML::Exception&) {
  }
  fail("{}: {} = '{}' must be an integer >= {}", at(file, n), key, n.IsScalar() ? n.Scalar() : YAML::Dump(n), min);
}

// Indices into the axes' value lists: the full product (last key fastest), or `random` of its
// points drawn with `seed`, in product order.
std::vector<std::vector<size_t>> expand(const std::vector<Axis>& axes, int64_t random, uint64_t seed,
                                        const std::string& file) {
  int64_t total = 1;
  for (const auto& a : axes) {
    total *= static_cast<int64_t>(a.values.size());
    if (total > 100 * kMaxPoints) fail("{}: the grid has more than {} points", file, 100 * kMaxPoints);
  }
  if (random > total) fail("{}: random = {} is more than the {} points of the grid", file, random, total);
  const int64_t n = random > 0 ? random : total;
  if (n > kMaxPoints) fail("{}: the sweep has {} points, more than {} (use random: N)", file, n, kMaxPoints);
  Rng rng(seed);
  std::vector<int64_t> chosen = random_permutation(total, rng);
  if (random > 0) chosen.resize(static_cast<size_t>(random));
  std::sort(chosen.begin(), chosen.end());
  std::vector<std::vector<size_t>> out;
  for (int64_t flat : chosen) {
    std::vector<size_t> idx(axes.size());
    for (size_t k = axes.size(); k-- > 0;) {
      idx[k] = static_cast<size_t>(flat % static_cast<int64_t>(axes[k].values.size()));
      flat /= static_cast<int64_t>(axes[k].values.size());
    }
    out.push_back(std::move(idx));
  }
  return out;
}

// Distinct names: a name that sanitizing made equal to an earlier one, or that is too long, gets
// "~INDEX" appended.
void name_points(std::vector<SweepPoint>& points) {
  std::set<std::string> used;
  for (auto& p : points) {
    std::string name = point_name(p.values);
    if (name.size() > kMaxName) name = name.substr(0, kMaxName - 10) + fmt::format("~{}", p.index);
    if (used.count(name)) name += fmt::format("~{}", p.index);
    used.insert(name);
    p.name = name;
  }
}

// Each point through the train option table, as `dptrain train -c CONFIG --set ...` would read it.
void check_points(const SweepPlan& plan) {
  for (const auto& p : plan.points) {
    try {
      (void)load_train_config(plan.config, plan.sets(p));
    } catch (const Error& e) {
      fail("{}: point {} ({}): {}", plan.grid_file, p.index, p.name, e.what());
    }
  }
}

}  // namespace

std::vector<std::string> SweepPlan::sets(const SweepPoint& p) const {
  std::vector<std::string> out;
  for (const auto& s : fixed) out.push_back(s.assignment());
  for (const auto& s : p.values) out.push_back(s.assignment());
  return out;
}

std::string flow_yaml(const YAML::Node& v) {
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << v;
  return e.c_str();
}

std::string point_name(const std::vector<SweepSetting>& values) {
  std::string name;
  for (const auto& v : values) {
    if (!name.empty()) name += ',';
    name += v.assignment();
  }
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("._+=,-", c)) c = '_';
  return name;
}

SweepPlan read_sweep_plan(const std::string& grid_file) {
  const YAML::Node root = load_grid_file(grid_file);
  SweepPlan plan;
  plan.grid_file = grid_file;
  const YAML::Node config = root["config"];
  if (!config || !config.IsScalar() || config.Scalar().empty())
    fail("{}: 'config' is missing: name the base config (config: launch/configs/fashion_mlp.yaml)", grid_file);
  plan.config = config.Scalar();
  if (!fs::is_regular_file(plan.config)) fail("{}: config {} not found", at(grid_file, config), plan.config);
  plan.config = fs::absolute(plan.config).lexically_normal().string();  // tasks may run in another directory
  plan.ranks = read_int(root, "ranks", 1, 1, grid_file);
  const int64_t random = read_int(root, "random", 0, 1, grid_file);
  const int64_t seed = read_int(root, "seed", 1, 0, grid_file);
  if (root["seed"] && !root["random"]) fail("{}: 'seed' is given without 'random'", at(grid_file, root["seed"]));
  const std::vector<Axis> axes = read_axes(root["grid"], grid_file);
  if (const YAML::Node set = root["set"]; set && !set.IsNull()) {
    if (!set.IsMap())
      fail("{}: 'set' must map config keys to values (e.g. set: {{train.epochs: 2}})", at(grid_file, set));
    std::vector<std::pair<std::string, YAML::Node>> entries;
    flatten(set, "", grid_file, entries);
    for (const auto& [key, v] : entries) {
      for (const auto& a : axes)
        if (a.key == key) fail("{}: {} is both in 'grid' and in 'set'", at(grid_file, v), key);
      plan.fixed.push_back({key, value_text(v, at(grid_file, v), key)});
    }
  }
  for (const auto& idx : expand(axes, random, static_cast<uint64_t>(seed), grid_file)) {
    SweepPoint p;
    p.index = static_cast<int64_t>(plan.points.size());
    for (size_t k = 0; k < axes.size(); ++k) p.values.push_back({axes[k].key, axes[k].values[idx[k]]});
    plan.points.push_back(std::move(p));
  }
  name_points(plan.points);
  check_points(plan);
  return plan;
}

}  // namespace dpt::cli
