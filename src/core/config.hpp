// Config: values for the options of one OptionTable, from defaults, a YAML file and key=value
// overrides (in that order of precedence, last wins). Every value is validated as it is set, and
// every error names where the value came from ("run.yaml:12", "--set"), the key and the value.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/options.hpp"

namespace dpt {

// A YAML file that the user names (`what`: "config file", "grid file"); throws naming the path for a
// missing file, a directory, malformed YAML (with line and column) or an unreadable file.
YAML::Node load_yaml_file(const std::string& path, const std::string& what);

class Config {
 public:
  explicit Config(OptionTable table);

  // Reads a YAML mapping; nested maps become dotted keys. Unknown keys are errors.
  void load_file(const std::string& path);
  void load_yaml(const YAML::Node& root, const std::string& origin);
  // "key=value" as given to --set; the value is parsed as YAML (so lists work too).
  void set_override(const std::string& assignment);
  void set(const std::string& key, const YAML::Node& value, const std::string& origin);
  // Throws for every required option that is still unset.
  // `where` prefixes the message ("config", "model.layers[2] (dense)").
  void check_required(const std::string& where = "config") const;

  bool has(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::string get_string(const std::string& key) const;  // throws for a list value
  // A StringList option: a single string gives one element, a YAML list its elements in order.
  std::vector<std::string> get_strings(const std::string& key) const;
  // An Ints option: a single integer gives one element, a YAML list its elements in order.
  std::vector<int64_t> get_ints(const std::string& key) const;
  YAML::Node get_node(const std::string& key) const;
  // Where a value came from ("default", "run.yaml:12", "--set").
  std::string origin(const std::string& key) const;

  // The resolved config as nested YAML (what the run directory and checkpoints store).
  std::string to_yaml() const;
  const OptionTable& table() const { return table_; }

 private:
  const OptionSpec& spec(const std::string& key) const;
  // Replaces the entry and its origin (never writes through to copies).
  void put(const std::string& key, YAML::Node value, const std::string& origin);
  void flatten(const YAML::Node& node, const std::string& prefix, const std::string& file);

  OptionTable table_;
  std::map<std::string, YAML::Node> values_;
  std::map<std::string, std::string> origins_;
};

// Parses a float that may be written as a fraction ("1/255"); throws std::invalid_argument.
double parse_float_text(const std::string& text);

}  // namespace dpt
