// `dptrain prepare csv`: a CSV table (a header row, one integer class-label column, numeric
// feature columns) to an HDF5 file with /train, /val and /test splits (layout: data/split_writer.hpp).
//
// Streaming: the file is read twice (three more times for --missing median), never held in memory.
//   pass 1  parses every row; drops duplicates (a set of 64-bit row hashes, data/hash_set64.hpp:
//           11-23 bytes per distinct row) and rows with missing values (--missing drop); assigns
//           each kept row to a split by a seeded hash of its row index; counts classes; gathers
//           training-split statistics (mean, spread, min, max per column). Per row it keeps one
//           bit (kept or not).
//   median  --missing median: the exact median of each column's training values that has missing
//           cells, by a three-pass radix select over float32 keys (data/radix_select.hpp; 16-32 KiB
//           per such column). Not an approximation.
//   pass 2  parses again, fills missing cells with the training mean or median, and appends the
//           kept rows to their split in chunks of chunk_rows rows.
// Splits: row i goes to train when u_i < f_train, to val when u_i < f_train + f_val, else to test,
// with u_i uniform in [0, 1) from a hash of (seed, i): the fractions hold in expectation (binomial
// spread), and a row's split depends only on the seed and its position, never on the other rows.
// Statistics (fill values, normalization) come from the training split only. Features are stored
// raw; the normalization goes into attributes that the trainer applies (data/feature_norm.hpp).
// Regression (`regression`): the label column holds float targets, stored as float32 labels (N);
// with standardize_target they are stored as (t - mean) / sd with the training split's mean and
// population sd (sd 0: 1), and the labels datasets get the attributes target_normalize = zscore,
// target_offset = mean, target_scale = 1 / sd (t = stored / target_scale + target_offset).
// The output is written to a temporary file and renamed into place when complete.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "prepare/column_stats.hpp"

namespace dpt {

enum class MissingMode { Error, Drop, Mean, Median };
MissingMode parse_missing(const std::string& name);  // error | drop | mean | median
const char* missing_name(MissingMode m);
// "0.8,0.1,0.1": three fractions >= 0 that add up to 1, the first > 0.
std::array<double, 3> parse_split(const std::string& text);
int split_of(uint64_t seed, int64_t row, const std::array<double, 3>& fractions);  // 0 train, 1 val, 2 test

struct CsvPrepareOptions {
  std::string input, out, label;
  bool regression = false;          // float targets instead of integer class labels
  bool standardize_target = false;  // regression: store (t - train mean) / train sd
  bool drop_duplicates = false;
  MissingMode missing = MissingMode::Error;  // Error: a missing value stops with its row and column
  Normalize normalize = Normalize::None;
  std::array<double, 3> split{0.8, 0.1, 0.1};
  uint64_t seed = 1234;
  size_t buffer_bytes = 1 << 20;  // read buffer of each pass
  int64_t chunk_rows = 0;         // rows per HDF5 chunk and per write; 0: about 1 MiB of features
};

struct CsvPrepareReport {
  std::vector<std::string> features;
  int64_t rows_read = 0, duplicates = 0, rows_dropped_missing = 0, rows_dropped_no_label = 0;
  int64_t values_missing = 0, values_filled = 0;
  std::array<int64_t, 3> split_rows{};
  std::array<std::map<int32_t, int64_t>, 3> class_counts;                              // classification
  std::array<ColumnStats, 3> targets{ColumnStats(1), ColumnStats(1), ColumnStats(1)};  // regression, raw
  double target_offset = 0, target_scale = 1;  // regression: stored = (t - offset) * scale
  std::vector<double> fill;                    // per feature; NaN where nothing was filled
  FeatureNorm norm;
  int passes = 0;
  size_t dedup_bytes = 0;  // the duplicate-detection table at its largest
};

CsvPrepareReport prepare_csv(const CsvPrepareOptions& options);
std::string format_report(const CsvPrepareOptions& options, const CsvPrepareReport& report);

}  // namespace dpt
