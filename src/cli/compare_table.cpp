#include "cli/compare_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "core/error.hpp"

namespace dpt::cli {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The metric columns, in table order (each shown only when some run has it).
const std::vector<std::string>& metric_columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> c;
    for (const char* m : {"accuracy", "loss", "rmse", "mae", "r2"})
      c.insert(c.end(), {fmt::format("best_val_{}", m), fmt::format("final_val_{}", m)});
    for (const char* m : {"accuracy", "loss", "rmse", "mae", "r2"}) c.push_back(fmt::format("test_{}", m));
    c.insert(c.end(), {"train_loss", "epochs", "time_s"});
    return c;
  }();
  return cols;
}

// Config keys whose values differ between the runs, in the order the configs list them.
std::vector<std::string> swept_keys(const std::vector<RunSummary>& runs) {
  std::vector<std::string> order;
  std::map<std::string, std::set<std::string>> values;
  for (const auto& r : runs)
    for (const auto& [k, v] : r.config) {
      if (!values.count(k)) order.push_back(k);
      values[k].insert(v);
    }
  std::vector<std::string> out;
  for (const auto& k : order)
    if (values[k].size() > 1) out.push_back(k);
  return out;
}

double as_number(const std::string& s) {
  if (s.empty()) return kNaN;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return *end == '\0' ? v : kNaN;
}

void add_cell(CompareTable& t, const std::string& text, double value) {
  t.text.back().push_back(text.empty() ? "-" : text);
  t.csv.back().push_back(text);
  t.value.back().push_back(value);
}

void add_metric(CompareTable& t, const RunSummary& r, const std::string& col) {
  const auto it = r.metrics.find(col);
  if (it == r.metrics.end()) return add_cell(t, "", kNaN);
  const double v = it->second;
  const int digits = col == "epochs" ? 0 : col == "time_s" ? 1 : 4;
  t.text.back().push_back(fmt::format("{:.{}f}", v, digits));
  t.csv.back().push_back(col == "epochs" ? fmt::format("{:.0f}", v) : fmt::format("{}", v));
  t.value.back().push_back(v);
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

CompareTable compare_table(const std::vector<RunSummary>& runs) {
  CompareTable t;
  const std::vector<std::string> keys = swept_keys(runs);
  std::vector<std::string> metrics;
  for (const auto& c : metric_columns())
    if (std::any_of(runs.begin(), runs.end(), [&](const RunSummary& r) { return r.metrics.count(c) > 0; }))
      metrics.push_back(c);
  t.columns = {"run"};
  t.columns.insert(t.columns.end(), keys.begin(), keys.end());
  t.columns.insert(t.columns.end(), metrics.begin(), metrics.end());
  t.columns.push_back("status");
  for (const auto& r : runs) {
    t.text.emplace_back(), t.csv.emplace_back(), t.value.emplace_back();
    add_cell(t, r.run, kNaN);
    for (const auto& k : keys) {
      const auto it = std::find_if(r.config.begin(), r.config.end(), [&](const auto& kv) { return kv.first == k; });
      const std::string v = it == r.config.end() ? "" : it->second;
      add_cell(t, v, as_number(v));
    }
    for (const auto& m : metrics) add_metric(t, r, m);
    add_cell(t, r.status, kNaN);
  }
  return t;
}

std::string default_sort_column(const CompareTable& t) {
  for (const char* c :
       {"test_accuracy", "best_val_accuracy", "test_rmse", "best_val_rmse", "test_loss", "best_val_loss", "train_loss"})
    if (std::find(t.columns.begin(), t.columns.end(), c) != t.columns.end()) return c;
  return "";
}

void sort_table(CompareTable& t, const std::string& column, const std::string& order) {
  const auto col_it = std::find(t.columns.begin(), t.columns.end(), column);
  if (col_it == t.columns.end()) {
    std::string known;
    for (const auto& c : t.columns) known += (known.empty() ? "" : ", ") + c;
    fail("--sort {}: no such column in this table (columns: {})", column, known);
  }
  const size_t c = static_cast<size_t>(col_it - t.columns.begin());
  const bool desc = order.empty() ? higher_is_better(column) : order == "desc";
  std::vector<size_t> idx(t.csv.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const bool ma = t.csv[a][c].empty(), mb = t.csv[b][c].empty();
    if (ma || mb) return !ma && mb;  // rows without a value go last
    const double va = t.value[a][c], vb = t.value[b][c];
    if (!std::isnan(va) && !std::isnan(vb)) return desc ? va > vb : va < vb;
    return desc ? t.csv[a][c] > t.csv[b][c] : t.csv[a][c] < t.csv[b][c];
  });
  CompareTable sorted{t.columns, {}, {}, {}};
  for (size_t i : idx)
    sorted.text.push_back(t.text[i]), sorted.csv.push_back(t.csv[i]), sorted.value.push_back(t.value[i]);
  t = std::move(sorted);
}

std::string table_text(const CompareTable& t) {
  std::vector<size_t> width(t.columns.size());
  for (size_t c = 0; c < t.columns.size(); ++c) {
    width[c] = t.columns[c].size();
    for (const auto& row : t.text) width[c] = std::max(width[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); ++c)
      s += c + 1 < cells.size() ? fmt::format("{:<{}}  ", cells[c], width[c]) : cells[c] + "\n";
    return s;
  };
  std::string s = line(t.columns);
  for (const auto& row : t.text) s += line(row);
  return s;
}

std::string table_csv(const CompareTable& t) {
  const auto line = [](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) s += ',';
      s += csv_cell(cells[c]);
    }
    return s + "\n";
  };
  std::string s = line(t.columns);
  for (const auto& row : t.csv) s += line(row);
  return s;
}

}  // namespace dpt::cli
