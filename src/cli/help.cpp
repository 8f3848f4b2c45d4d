#include <fmt/format.h>

#include <algorithm>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

namespace {
std::string option_line(const OptionSpec& o, size_t key_w, size_t type_w) {
  const std::string dflt = o.required ? "required" : o.default_value.empty() ? "unset" : "default " + o.default_value;
  const std::string c = describe_constraint(o);
  return fmt::format("  {:<{}} {:<{}} {} [{}{}]\n", o.key, key_w, type_name(o.type), type_w, o.help, dflt,
                     c.empty() ? "" : "; " + c);
}

// Columns as wide as the longest key and type of the table, so every row lines up.
std::string lines(const std::vector<const OptionSpec*>& opts, const std::string& title) {
  std::string s = title + ":\n";
  if (opts.empty()) return s + "  (no options)\n";
  size_t key_w = 24, type_w = 6;
  for (const auto* o : opts)
    key_w = std::max(key_w, o->key.size()), type_w = std::max(type_w, std::string(type_name(o->type)).size());
  for (const auto* o : opts) s += option_line(*o, key_w, type_w);
  return s;
}
}  // namespace

std::string options_help(const OptionTable& table, const std::string& title) {
  std::vector<const OptionSpec*> opts;
  for (const auto& o : table) opts.push_back(&o);
  return lines(opts, title);
}

std::string options_help(const OptionTable& table, const std::vector<std::string>& keys, const std::string& title) {
  std::vector<const OptionSpec*> opts;
  for (const auto& k : keys) {
    const auto it = std::find_if(table.begin(), table.end(), [&](const OptionSpec& o) { return o.key == k; });
    if (it == table.end()) fail("help: option '{}' is not in the option table", k);
    opts.push_back(&*it);
  }
  return lines(opts, title);
}

std::string model_config_help() {
  return options_help(train_options(), {"data.file", "data.scale", "model.layers", "loss"},
                      "Read from the config stored in the model file (the train options of the same name; "
                      "see docs/config.md)");
}

}  // namespace dpt::cli
