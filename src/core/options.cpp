#include "core/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dpt {

const char* type_name(OptType t) {
  switch (t) {
    case OptType::Int:
      return "int";
    case OptType::Float:
      return "float";
    case OptType::String:
      return "string";
    case OptType::Bool:
      return "bool";
    case OptType::List:
      return "list";
    case OptType::StringList:
      return "string or list";
    case OptType::Ints:
      return "int or list";
  }
  return "?";
}

OptionSpec option_spec(std::string key, OptType type, std::string default_value, std::string help, double min,
                       double max, bool min_exclusive) {
  return {std::move(key), type, std::move(default_value), std::move(help), min, max, min_exclusive};
}

OptionSpec choice_spec(std::string key, std::string default_value, std::string help, std::vector<std::string> choices) {
  OptionSpec s = option_spec(std::move(key), OptType::String, std::move(default_value), std::move(help));
  s.choices = std::move(choices);
  return s;
}

OptionTable concat(const std::vector<OptionTable>& tables) {
  OptionTable all;
  for (const auto& t : tables) all.insert(all.end(), t.begin(), t.end());
  return all;
}

static std::string num(double v) { return fmt::format("{:g}", v); }

std::string describe_constraint(const OptionSpec& s) {
  if (!s.choices.empty()) return "one of: " + fmt::format("{}", fmt::join(s.choices, ", "));
  const bool has_min = std::isfinite(s.min), has_max = std::isfinite(s.max);
  if (has_min && has_max) return fmt::format("{}{}, {}]", s.min_exclusive ? "(" : "[", num(s.min), num(s.max));
  if (has_min) return fmt::format("{} {}", s.min_exclusive ? ">" : ">=", num(s.min));
  if (has_max) return fmt::format("<= {}", num(s.max));
  return "";
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_key(const OptionTable& table, const std::string& key) {
  std::string best;
  size_t best_d = std::max<size_t>(3, key.size() / 3) + 1;
  for (const auto& s : table) {
    // Compare with the whole key and with its last component ("lr" vs "optimizer.lr").
    const auto dot = s.key.rfind('.');
    const std::string leaf = dot == std::string::npos ? s.key : s.key.substr(dot + 1);
    const std::string key_leaf = key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
    size_t d = std::min(edit_distance(key, s.key), edit_distance(key_leaf, leaf) + 1);
    // "lrate" for "lr", "batch" for "batch_size": one name starts with the other.
    if (!leaf.empty() && !key_leaf.empty() && (leaf.rfind(key_leaf, 0) == 0 || key_leaf.rfind(leaf, 0) == 0))
      d = std::min<size_t>(d, 1);
    if (d < best_d) best_d = d, best = s.key;
  }
  return best;
}

}  // namespace dpt
