#include "core/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"

namespace dpt {

double parse_float_text(const std::string& text) {
  const auto slash = text.find('/');
  size_t used = 0;
  if (slash == std::string::npos) {
    const double v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return v;
  }
  const std::string a = text.substr(0, slash), b = text.substr(slash + 1);
  const double num = std::stod(a, &used);
  if (used != a.size()) throw std::invalid_argument(text);
  const double den = std::stod(b, &used);
  if (used != b.size() || den == 0.0) throw std::invalid_argument(text);
  return num / den;
}

Config::Config(OptionTable table) : table_(std::move(table)) {
  for (const auto& s : table_)
    if (!s.default_value.empty()) set(s.key, YAML::Load(s.default_value), "default");
}

void Config::put(const std::string& key, YAML::Node value, const std::string& origin) {
  // Not values_[key] = value: assigning to a YAML::Node writes through to every copy of it, and
  // a copied Config shares its nodes with the original.
  values_.erase(key);
  values_.emplace(key, std::move(value));
  origins_[key] = origin;
}

const OptionSpec& Config::spec(const std::string& key) const {
  for (const auto& s : table_)
    if (s.key == key) return s;
  fail("unknown option '{}'", key);
}

static std::string scalar_text(const YAML::Node& v) { return v.IsScalar() ? v.Scalar() : YAML::Dump(v); }

// A StringList value: one non-null scalar, or a non-empty sequence of non-empty scalars.
static void check_string_list(const OptionSpec& s, const YAML::Node& v, const std::string& origin) {
  bool ok = v.IsScalar() || (v.IsSequence() && v.size() > 0);
  if (v.IsSequence())
    for (const auto& e : v) ok = ok && e.IsScalar() && !e.Scalar().empty();
  if (!ok)
    fail("{}: {} must be a string or a non-empty list of strings (e.g. [a.h5, b.h5]), got '{}'", origin, s.key,
         scalar_text(v));
}

static void check_range(const OptionSpec& s, double v, const std::string& origin, const std::string& text) {
  const bool below = s.min_exclusive ? !(v > s.min) : !(v >= s.min);
  if (below || !(v <= s.max) || std::isnan(v))
    fail("{}: {} = {} is out of range: must be {}", origin, s.key, text, describe_constraint(s));
}

// An Ints value given as a list: non-empty, every element an integer within the option's range.
static void check_int_list(const OptionSpec& s, const YAML::Node& v, const std::string& origin) {
  bool ok = v.size() > 0;
  std::vector<std::string> items;
  for (const auto& e : v) {
    items.push_back(scalar_text(e));
    size_t used = 0;
    try {
      ok = ok && e.IsScalar() && (std::stoll(e.Scalar(), &used), used == e.Scalar().size());
    } catch (const std::exception&) {
      ok = false;
    }
  }
  const std::string text = fmt::format("[{}]", fmt::join(items, ", "));
  if (!ok) fail("{}: {} must be an int or a non-empty list of ints (e.g. 3 or [3, 5]), got '{}'", origin, s.key, text);
  for (const auto& e : v) check_range(s, static_cast<double>(std::stoll(e.Scalar())), origin, text);
}

void Config::set(const std::string& key, const YAML::Node& value, const std::string& origin) {
  bool known = false;
  for (const auto& s : table_) known |= s.key == key;
  if (!known) {
    const std::string guess = closest_key(table_, key);
    fail("{}: unknown config key '{}'{}", origin, key,
         guess.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", guess));
  }
  const OptionSpec& s = spec(key);
  if (s.type == OptType::StringList && !value.IsNull()) {
    check_string_list(s, value, origin);
    put(key, YAML::Clone(value), origin);
    return;
  }
  // "key:" or "key: ~" means the empty string.
  if ((s.type == OptType::String || s.type == OptType::StringList) && value.IsNull()) {
    if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), "") == s.choices.end())
      fail("{}: {} = '' is not valid: must be {}", origin, key, describe_constraint(s));
    put(key, YAML::Node(std::string()), origin);
    return;
  }
  const std::string text = scalar_text(value);
  if (s.type == OptType::Ints && value.IsSequence()) {
    check_int_list(s, value, origin);
    put(key, YAML::Clone(value), origin);
    return;
  }
  if (s.type == OptType::List) {
    if (!value.IsSequence()) fail("{}: {} must be a list, got '{}'", origin, key, text);
  } else if (!value.IsScalar()) {
    fail("{}: {} must be a single {} value, got '{}'", origin, key, type_name(s.type), text);
  }
  try {
    switch (s.type) {
      case OptType::Int:
      case OptType::Ints: {
        size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
        check_range(s, static_cast<double>(v), origin, text);
        break;
      }
      case OptType::Float:
        check_range(s, parse_float_text(text), origin, text);
        break;
      case OptType::Bool:
        (void)value.as<bool>();
        break;
      case OptType::String:
        if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end())
          fail("{}: {} = '{}' is not valid: must be {}", origin, key, text, describe_constraint(s));
        break;
      case OptType::List:
      case OptType::StringList:
        break;
    }
  } catch (const std::invalid_argument&) {
    fail("{}: {} = '{}' is not a valid {}", origin, key, text, type_name(s.type));
  } catch (const std::out_of_range&) {
    fail("{}: {} = '{}' is out of range for a {}", origin, key, text, type_name(s.type));
  } catch (const YAML::Exception&) {
    fail("{}: {} = '{}' is not a valid {} (use true or false)", origin, key, text, type_name(s.type));
  }
  put(key, YAML::Clone(value), origin);
}

void Config::flatten(const YAML::Node& node, const std::string& prefix, const std::string& file) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    const std::string full = prefix.empty() ? k : prefix + "." + k;
    const std::string where = fmt::format("{}:{}", file, it->first.Mark().line + 1);
    bool is_key = false, is_prefix = false;
    for (const auto& s : table_) {
      is_key |= s.key == full;
      is_prefix |= s.key.rfind(full + ".", 0) == 0;
    }
    if (!is_key && is_prefix && it->second.IsMap()) {
      flatten(it->second, full, file);
    } else if (!is_key && is_prefix) {
      fail("{}: '{}' must be a mapping of options (e.g. {}.<name>: value)", where, full, full);
    } else {
      set(full, it->second, where);  // unknown keys are reported by set()
    }
  }
}

void Config::load_yaml(const YAML::Node& root, const std::string& origin) {
  if (root.IsNull()) return;
  if (!root.IsMap()) fail("{}: the config must be a YAML mapping of options (key: value)", origin);
  flatten(root, "", origin);
}

// yaml-cpp keeps both entries of a repeated key and answers lookups with one of them: a typo'd
// copy-paste would silently win or lose. Every mapping, at any depth, must name each key once.
static void check_duplicate_keys(const YAML::Node& node, const std::string& origin) {
  if (node.IsSequence())
    for (const auto& item : node) check_duplicate_keys(item, origin);
  if (!node.IsMap()) return;
  std::map<std::string, int> first_line;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : YAML::Dump(kv.first);
    const int line = kv.first.Mark().line + 1;
    const auto [it, fresh] = first_line.emplace(key, line);
    if (!fresh)
      fail("{}:{}: duplicate key '{}' (also on line {}): each key may appear once in a mapping", origin, line, key,
           it->second);
    check_duplicate_keys(kv.second, origin);
  }
}

YAML::Node load_yaml_file(const std::string& path, const std::string& what) {
  if (!std::filesystem::exists(path)) fail("{}: {} not found", path, what);
  if (std::filesystem::is_directory(path)) fail("{}: is a directory, not a {} (give a YAML file)", path, what);
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    fail("{}:{}:{}: malformed YAML: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg);
  } catch (const YAML::BadFile&) {
    fail("{}: cannot read the {}", path, what);
  }
}

void Config::load_file(const std::string& path) {
  const YAML::Node root = load_yaml_file(path, "config file");
  check_duplicate_keys(root, path);
  load_yaml(root, path);
}

void Config::set_override(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    fail("--set {}: expected key=value (e.g. --set optimizer.lr=0.1)", assignment);
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("--set {}: value '{}' is not valid YAML: {}", key, text, e.msg);
  }
  set(key, value, "--set");
}

void Config::check_required(const std::string& where) const {
  for (const auto& s : table_)
    if (s.required && !has(s.key)) fail("{}: required option '{}' ({}) is not set", where, s.key, s.help);
}

bool Config::has(const std::string& key) const { return values_.count(key) > 0; }

YAML::Node Config::get_node(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) fail("config: option '{}' is not set", key);
  return it->second;
}

int64_t Config::get_int(const std::string& key) const { return std::stoll(get_node(key).Scalar()); }
double Config::get_float(const std::string& key) const { return parse_float_text(get_node(key).Scalar()); }
bool Config::get_bool(const std::string& key) const { return get_node(key).as<bool>(); }
std::string Config::get_string(const std::string& key) const {
  const YAML::Node v = get_node(key);
  if (v.IsSequence()) fail("config: {} is a list ({}); a single value is needed here", key, scalar_text(v));
  return v.Scalar();
}

std::vector<std::string> Config::get_strings(const std::string& key) const {
  const YAML::Node v = get_node(key);
  if (!v.IsSequence()) return {v.Scalar()};
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.Scalar());
  return out;
}

std::vector<int64_t> Config::get_ints(const std::string& key) const {
  const YAML::Node v = get_node(key);
  if (!v.IsSequence()) return {v.as<int64_t>()};
  std::vector<int64_t> out;
  for (const auto& e : v) out.push_back(e.as<int64_t>());
  return out;
}

std::string Config::origin(const std::string& key) const {
  auto it = origins_.find(key);
  return it == origins_.end() ? "unset" : it->second;
}

std::string Config::to_yaml() const {
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& s : table_) {
    if (!has(s.key)) continue;
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t dot; (dot = s.key.find('.', start)) != std::string::npos; start = dot + 1)
      parts.push_back(s.key.substr(start, dot - start));
    parts.push_back(s.key.substr(start));
    // yaml-cpp's operator[] returns proxies; walk with explicit re-assignment.
    std::vector<YAML::Node> chain{root};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node child = chain.back()[parts[i]];
      if (!child.IsMap()) child = YAML::Node(YAML::NodeType::Map), chain.back()[parts[i]] = child;
      chain.push_back(chain.back()[parts[i]]);
    }
    chain.back()[parts.back()] = values_.at(s.key);
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace dpt
