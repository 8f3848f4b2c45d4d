// Subcommands of the dptrain executable. Each registers its options on a CLI11 subcommand and
// returns the function that runs it, so main() alone owns MPI and error handling.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "core/options.hpp"

namespace dpt::cli {

using Run = std::function<int()>;

Run add_prepare(CLI::App& app);
Run add_train(CLI::App& app);
Run add_evaluate(CLI::App& app);

// Help text listing every option of a table: key, type, default, constraint and meaning.
std::string options_help(const OptionTable& table, const std::string& title);

}  // namespace dpt::cli
