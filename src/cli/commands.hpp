// Subcommands of the dptrain executable. Each registers its options on a CLI11 subcommand and
// returns the function that runs it, so main() alone owns MPI and error handling.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/options.hpp"

namespace dpt::cli {

using Run = std::function<int()>;

Run add_prepare(CLI::App& app);
Run add_train(CLI::App& app);
Run add_evaluate(CLI::App& app);
Run add_bench(CLI::App& app);
Run add_inspect(CLI::App& app);
Run add_predict(CLI::App& app);
Run add_plot(CLI::App& app);
Run add_docs(CLI::App& app);
Run add_export(CLI::App& app);
Run add_lr_find(CLI::App& app);
Run add_compare(CLI::App& app);
Run add_sweep_plan(CLI::App& app);

// Help text listing every option of a table: key, type, default, constraint and meaning.
std::string options_help(const OptionTable& table, const std::string& title);
// The same for the options named in `keys` only, in that order (throws for a key not in the table).
std::string options_help(const OptionTable& table, const std::vector<std::string>& keys, const std::string& title);
// Footer of evaluate and predict: the options of the train table they read from the model file.
std::string model_config_help();

}  // namespace dpt::cli
