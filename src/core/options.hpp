// The option table: one list of options drives --help, config-file parsing, validation, the
// resolved config written to the run directory and (later) what checkpoints store.
#pragma once
#include <limits>
#include <string>
#include <vector>

namespace dpt {

// StringList: one string or a YAML list of strings (e.g. data.file: a path, a glob or [a.h5, b.h5]).
// Ints: one integer or a list of integers, each within [min, max] (per-axis layer sizes: 3 or [3, 5, 5]).
enum class OptType { Int, Float, String, Bool, List, StringList, Ints };

struct OptionSpec {
  std::string key;  // dotted path, e.g. "optimizer.lr"
  OptType type;
  std::string default_value;  // YAML text; "" for a required String/List option
  std::string help;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;        // true: value must be > min (e.g. a learning rate)
  std::vector<std::string> choices;  // String options: allowed values (empty: any)
  bool required = false;             // must be set by the config or on the command line
};

using OptionTable = std::vector<OptionSpec>;

// Shorthands for the entries of an option table: a typed option (with an optional range [min, max],
// (min, max] when min_exclusive), and a String option that takes one of `choices`.
OptionSpec option_spec(std::string key, OptType type, std::string default_value, std::string help,
                       double min = -std::numeric_limits<double>::infinity(),
                       double max = std::numeric_limits<double>::infinity(), bool min_exclusive = false);
OptionSpec choice_spec(std::string key, std::string default_value, std::string help, std::vector<std::string> choices);
// The tables one after the other (a command's options from the tables of the modules it uses).
OptionTable concat(const std::vector<OptionTable>& tables);

const char* type_name(OptType t);
// "(> 0)", "[1, 64]", "one of: sgd, adam" — what a valid value looks like, for help and errors.
std::string describe_constraint(const OptionSpec& spec);
// The option whose key is closest to `key` (for "did you mean ...?"), or "" if none is close.
std::string closest_key(const OptionTable& table, const std::string& key);

}  // namespace dpt
