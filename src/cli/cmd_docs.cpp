// dptrain docs config: prints the configuration reference (docs/config.md) generated from the
// option tables.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/config_reference.hpp"

namespace dpt::cli {

Run add_docs(CLI::App& app) {
  auto* cmd = app.add_subcommand("docs", "print documentation generated from the code");
  cmd->require_subcommand(1);
  cmd->add_subcommand("config", "the configuration reference in Markdown (docs/config.md is this output)");
  return [] {
    fmt::print("{}", config_reference());
    return 0;
  };
}

}  // namespace dpt::cli
