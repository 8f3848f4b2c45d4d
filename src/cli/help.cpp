#include <fmt/format.h>

#include "cli/commands.hpp"

namespace dpt::cli {

std::string options_help(const OptionTable& table, const std::string& title) {
  std::string s = title + ":\n";
  if (table.empty()) return s + "  (no options)\n";
  for (const auto& o : table) {
    std::string dflt = o.required ? "required" : o.default_value.empty() ? "unset" : "default " + o.default_value;
    const std::string c = describe_constraint(o);
    s += fmt::format("  {:<24} {:<6} {}{}\n", o.key, type_name(o.type), o.help,
                     fmt::format(" [{}{}]", dflt, c.empty() ? "" : "; " + c));
  }
  return s;
}

}  // namespace dpt::cli
