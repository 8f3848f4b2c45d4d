#include "prepare/csv.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "prepare/csv_reader.hpp"
#include "prepare/csv_row.hpp"
#include "prepare/hash_set64.hpp"
#include "prepare/radix_select.hpp"
#include "prepare/split_writer.hpp"

namespace dpt {

MissingMode parse_missing(const std::string& name) {
  if (name == "error") return MissingMode::Error;
  if (name == "drop") return MissingMode::Drop;
  if (name == "mean") return MissingMode::Mean;
  if (name == "median") return MissingMode::Median;
  fail("--missing {}: expected drop, mean or median", name);
}

const char* missing_name(MissingMode m) {
  switch (m) {
    case MissingMode::Drop:
      return "drop";
    case MissingMode::Mean:
      return "mean";
    case MissingMode::Median:
      return "median";
    default:
      return "error";
  }
}

std::array<double, 3> parse_split(const std::string& text) {
  std::array<double, 3> f{};
  std::stringstream in(text);
  std::string part;
  size_t n = 0;
  while (std::getline(in, part, ',')) {
    double v = 0;
    if (n >= 3 || !(std::istringstream(part) >> v) || !(v >= 0 && v <= 1))
      fail("--split {}: expected three fractions train,val,test in [0, 1] (e.g. 0.8,0.1,0.1)", text);
    f[n++] = v;
  }
  if (n != 3 || f[0] <= 0 || std::fabs(f[0] + f[1] + f[2] - 1.0) > 1e-6)
    fail("--split {}: expected three fractions train,val,test that add up to 1, train > 0 (e.g. 0.8,0.1,0.1)", text);
  return f;
}

int split_of(uint64_t seed, int64_t row, const std::array<double, 3>& f) {
  const double u = static_cast<double>(derive_seed(seed, 0x5b117, static_cast<uint64_t>(row)) >> 11) * 0x1.0p-53;
  return u < f[0] ? 0 : u < f[0] + f[1] ? 1 : 2;
}

namespace {
// The parsed data rows of the input, one pass.
class RowStream {
 public:
  explicit RowStream(const CsvPrepareOptions& o) : r_(o.input, o.buffer_bytes) {
    if (!r_.next(fields_)) fail("{}: empty file; expected a header row", o.input);
    schema_ = make_schema(o.input, fields_, o.label);
    schema_.float_label = o.regression;
  }
  bool next(CsvRow& row) {
    if (!r_.next(fields_)) return false;
    parse_row(schema_, fields_, ++rows_, r_.line(), row);
    return true;
  }
  int64_t index() const { return rows_ - 1; }  // 0-based index of the row last returned
  int64_t line() const { return r_.line(); }
  const CsvSchema& schema() const { return schema_; }

 private:
  CsvReader r_;
  std::vector<std::string_view> fields_;
  CsvSchema schema_;
  int64_t rows_ = 0;
};

double target_of(const CsvRow& row) {
  float t;
  std::memcpy(&t, &row.label, sizeof t);
  return t;
}

struct Scan {
  CsvSchema schema;
  std::vector<bool> keep;             // per data row
  ColumnStats train;                  // observed training values
  std::vector<int64_t> kept_missing;  // per column: missing cells in kept rows (all splits)
};

// Whether pass 1 keeps the row; counts why not.
bool admit(const CsvPrepareOptions& o, const RowStream& in, const CsvRow& row, HashSet64& seen, CsvPrepareReport& rep) {
  if (o.drop_duplicates && !seen.insert(row_hash(row))) return ++rep.duplicates, false;
  const CsvSchema& s = in.schema();
  if (row.label_missing) {
    if (o.missing != MissingMode::Drop)
      fail("{}: row {} (line {}), label column '{}': the label is missing; --missing drop drops such rows", o.input,
           in.index() + 1, in.line(), o.label);
    return ++rep.rows_dropped_no_label, false;
  }
  if (row.n_missing == 0) return true;
  rep.values_missing += row.n_missing;
  if (o.missing == MissingMode::Error) {
    const size_t j = static_cast<size_t>(std::find(row.missing.begin(), row.missing.end(), 1) - row.missing.begin());
    fail("{}: row {} (line {}), column '{}': missing value; choose --missing drop, mean or median", o.input,
         in.index() + 1, in.line(), s.features[j]);
  }
  if (o.missing == MissingMode::Drop) return ++rep.rows_dropped_missing, false;
  rep.values_filled += row.n_missing;
  return true;
}

Scan scan(const CsvPrepareOptions& o, CsvPrepareReport& rep) {
  RowStream in(o);
  const size_t D = in.schema().features.size();
  Scan s{in.schema(), {}, ColumnStats(D), std::vector<int64_t>(D, 0)};
  HashSet64 seen;
  CsvRow row;
  while (in.next(row)) {
    ++rep.rows_read;
    const bool keep = admit(o, in, row, seen, rep);
    s.keep.push_back(keep);
    if (!keep) continue;
    const int sp = split_of(o.seed, in.index(), o.split);
    ++rep.split_rows[sp];
    if (o.regression)
      rep.targets[sp].add(0, target_of(row));
    else
      ++rep.class_counts[sp][row.label];
    for (size_t j = 0; j < D; ++j) {
      if (row.missing[j]) ++s.kept_missing[j];
      if (sp != 0) continue;
      if (row.missing[j])
        s.train.add_missing(j);
      else
        s.train.add(j, static_cast<double>(row.x[j]));
    }
  }
  rep.dedup_bytes = o.drop_duplicates ? seen.bytes() : 0;
  rep.passes = 1;
  if (rep.split_rows[0] == 0)
    fail("{}: no training rows ({} rows read, {} kept); check the file, --split and --missing", o.input, rep.rows_read,
         rep.split_rows[0] + rep.split_rows[1] + rep.split_rows[2]);
  return s;
}

// Calls fn(row) for every kept training row of a new pass over the file.
template <class F>
void for_each_train_row(const CsvPrepareOptions& o, const Scan& s, F&& fn) {
  RowStream in(o);
  CsvRow row;
  while (in.next(row)) {
    const auto i = static_cast<size_t>(in.index());
    if (i >= s.keep.size()) fail("{}: the file grew while it was being read (row {})", o.input, i + 1);
    if (s.keep[i] && split_of(o.seed, in.index(), o.split) == 0) fn(row);
  }
}

// Exact medians of the training values of `cols` (three more passes).
std::vector<double> medians(const CsvPrepareOptions& o, const Scan& s, const std::vector<size_t>& cols,
                            CsvPrepareReport& rep) {
  std::vector<int64_t> ranks;
  std::vector<std::pair<size_t, size_t>> problems;  // per listed column: the problems of its lower and upper middle
  for (size_t j : cols) {
    const int64_t n = s.train.count(j);
    problems.emplace_back(ranks.size(), ranks.size() + (n % 2 == 0 ? 1 : 0));
    ranks.push_back((n - 1) / 2);
    if (n % 2 == 0) ranks.push_back(n / 2);
  }
  RadixSelect sel(ranks);
  for (int pass = 0; pass < RadixSelect::kPasses; ++pass, ++rep.passes) {
    for_each_train_row(o, s, [&](const CsvRow& row) {
      for (size_t c = 0; c < cols.size(); ++c) {
        if (row.missing[cols[c]]) continue;
        sel.observe(problems[c].first, row.x[cols[c]]);
        if (problems[c].second != problems[c].first) sel.observe(problems[c].second, row.x[cols[c]]);
      }
    });
    sel.end_pass();
  }
  std::vector<double> m;
  for (const auto& [lo, hi] : problems) m.push_back((double{sel.result(lo)} + double{sel.result(hi)}) / 2);
  return m;
}

// Fill values (NaN where a column has nothing to fill); adds their effect to the training statistics.
std::vector<double> fill_values(const CsvPrepareOptions& o, Scan& s, CsvPrepareReport& rep) {
  const size_t D = s.schema.features.size();
  std::vector<double> fill(D, std::numeric_limits<double>::quiet_NaN());
  std::vector<size_t> cols;
  for (size_t j = 0; j < D; ++j)
    if (s.kept_missing[j] > 0) cols.push_back(j);
  if (cols.empty() || (o.missing != MissingMode::Mean && o.missing != MissingMode::Median)) return fill;
  for (size_t j : cols)
    if (s.train.count(j) == 0)
      fail("{}: column '{}' has no values in the training split; its missing values cannot be filled with the {}",
           o.input, s.schema.features[j], missing_name(o.missing));
  const std::vector<double> med = o.missing == MissingMode::Median ? medians(o, s, cols, rep) : std::vector<double>{};
  for (size_t c = 0; c < cols.size(); ++c) {
    const size_t j = cols[c];
    fill[j] = static_cast<float>(o.missing == MissingMode::Median ? med[c] : s.train.mean(j));  // stored as float32
    s.train.add_repeated(j, fill[j], s.train.missing(j));
  }
  return fill;
}

int64_t auto_chunk_rows(size_t D) { return std::clamp<int64_t>((1 << 20) / (4 * static_cast<int64_t>(D)), 1, 65536); }

void write_root_attrs(hid_t f, const CsvPrepareOptions& o, const CsvSchema& s, const std::vector<double>& fill) {
  h5::write_attr(f, "source", o.input);
  h5::write_attr(f, "label_column", o.label);
  h5::write_attr(f, "task", std::string(o.regression ? "regression" : "classification"));
  h5::write_string_list_attr(f, "feature_names", s.features);
  h5::write_attr(f, "split", std::vector<double>(o.split.begin(), o.split.end()));
  h5::write_attr(f, "seed", std::vector<int64_t>{static_cast<int64_t>(o.seed)});
  h5::write_attr(f, "missing", std::string(missing_name(o.missing)));
  h5::write_attr(f, "drop_duplicates", std::vector<int64_t>{o.drop_duplicates ? 1 : 0});
  if (o.missing == MissingMode::Mean || o.missing == MissingMode::Median) h5::write_attr(f, "fill_values", fill);
}

void write_pass(const CsvPrepareOptions& o, const Scan& s, const CsvPrepareReport& rep, hid_t f,
                const std::string& tmp) {
  const size_t D = s.schema.features.size();
  SplitWriter w(f, tmp, s.schema.features, o.label, o.chunk_rows > 0 ? o.chunk_rows : auto_chunk_rows(D), o.regression);
  RowStream in(o);
  CsvRow row;
  while (in.next(row)) {
    const auto i = static_cast<size_t>(in.index());
    if (i >= s.keep.size()) fail("{}: the file grew while it was being read (row {})", o.input, i + 1);
    if (!s.keep[i]) continue;
    for (size_t j = 0; j < D; ++j)
      if (row.missing[j]) row.x[j] = static_cast<float>(rep.fill[j]);
    if (o.regression && o.standardize_target) {
      const auto t = static_cast<float>((target_of(row) - rep.target_offset) * rep.target_scale);
      std::memcpy(&row.label, &t, sizeof t);
    }
    w.add(split_of(o.seed, in.index(), o.split), row.x.data(), row.label);
  }
  for (int sp = 0; sp < 3; ++sp)
    if (w.rows(sp) != rep.split_rows[sp]) fail("{}: the file changed while it was being read", o.input);
  w.finish(rep.norm);
  if (o.regression && o.standardize_target)
    for (int sp = 0; sp < 3; ++sp) {
      h5::write_attr(w.labels(sp), "target_normalize", std::string("zscore"));
      h5::write_attr(w.labels(sp), "target_offset", std::vector<double>{rep.target_offset});
      h5::write_attr(w.labels(sp), "target_scale", std::vector<double>{rep.target_scale});
    }
  write_root_attrs(f, o, s.schema, rep.fill);
}
}  // namespace

CsvPrepareReport prepare_csv(const CsvPrepareOptions& o) {
  CsvPrepareReport rep;
  Scan s = scan(o, rep);
  rep.features = s.schema.features;
  rep.fill = fill_values(o, s, rep);
  rep.norm = make_norm(s.train, o.normalize);
  if (o.regression && o.standardize_target) {
    const double sd = rep.targets[0].stddev(0);
    rep.target_offset = rep.targets[0].mean(0), rep.target_scale = sd > 0 ? 1.0 / sd : 1.0;
  }
  h5::write_h5_atomically(o.out, [&](hid_t f, const std::string& tmp) { write_pass(o, s, rep, f, tmp); });
  ++rep.passes;
  return rep;
}

std::string format_report(const CsvPrepareOptions& o, const CsvPrepareReport& r) {
  std::string s = fmt::format("{}: {} rows read, {} features, label column '{}' ({} passes over the file)\n", o.input,
                              r.rows_read, r.features.size(), o.label, r.passes);
  s += fmt::format("  duplicates dropped: {}{}\n", r.duplicates,
                   o.drop_duplicates ? fmt::format(" (row-hash table {:.1f} MiB)", r.dedup_bytes / 1048576.0)
                                     : " (not checked; --drop-duplicates)");
  s += fmt::format(
      "  missing values: {} ({}); rows dropped: {} with missing features, {} without a label; "
      "values filled: {}\n",
      r.values_missing, missing_name(o.missing), r.rows_dropped_missing, r.rows_dropped_no_label, r.values_filled);
  for (int sp = 0; sp < 3 && o.regression; ++sp) {
    const ColumnStats& t = r.targets[sp];
    s += t.count(0) == 0 ? fmt::format("  {:<5} 0 rows\n", kSplitNames[sp])
                         : fmt::format("  {:<5} {} rows; target mean {:.6g}, sd {:.6g}, min {:.6g}, max {:.6g}\n",
                                       kSplitNames[sp], r.split_rows[sp], t.mean(0), t.stddev(0), t.min(0), t.max(0));
  }
  if (o.regression && o.standardize_target)
    s += fmt::format(
        "  target standardized with the training mean {:.6g} and sd {:.6g}: stored (t - {:.6g}) * {:.6g} "
        "(attributes target_offset, target_scale)\n",
        r.target_offset, 1.0 / r.target_scale, r.target_offset, r.target_scale);
  for (int sp = 0; sp < 3 && !o.regression; ++sp) {
    std::vector<std::string> counts;
    for (const auto& [label, n] : r.class_counts[sp]) counts.push_back(fmt::format("{}: {}", label, n));
    s += fmt::format("  {:<5} {} rows; classes {{{}}}\n", kSplitNames[sp], r.split_rows[sp], fmt::join(counts, ", "));
  }
  s += fmt::format("  normalization: {}{}\n", r.norm.method,
                   r.norm.active() ? " (training-split statistics, stored as offset/scale attributes)" : "");
  s += fmt::format("wrote {}", o.out);
  return s;
}

}  // namespace dpt
