// The table of `dptrain compare`: one row per run; columns: run, the swept config keys (those whose
// values differ between the runs), best_val_X / final_val_X, test_X, train_loss, epochs, time_s,
// status (only the metric columns some run has).
#pragma once
#include <string>
#include <vector>

#include "cli/run_summary.hpp"

namespace dpt::cli {

struct CompareTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> text;  // per row: cells for the screen ("-" where missing)
  std::vector<std::vector<std::string>> csv;   // per row: the same cells at full precision ("" where missing)
  std::vector<std::vector<double>> value;      // per row: each cell as a number (NaN where it is none)
};

CompareTable compare_table(const std::vector<RunSummary>& runs);

// The default sort column: test_accuracy, else the best validation accuracy, else test_rmse,
// best_val_rmse, test_loss, best_val_loss, train_loss (the first the table has); "" when none.
std::string default_sort_column(const CompareTable& t);

// Sorts the rows by `column` (numbers as numbers; rows without a value last, in their order),
// best first unless `order` says "asc" or "desc". Throws for a column the table does not have.
void sort_table(CompareTable& t, const std::string& column, const std::string& order);

std::string table_text(const CompareTable& t);
std::string table_csv(const CompareTable& t);

}  // namespace dpt::cli
