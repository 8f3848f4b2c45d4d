// The columns of a CSV data set and one parsed row. The header row names the columns; one of them
// holds the integer class label, every other one a numeric feature (stored as float32).
// Missing values: an empty cell, NA, N/A, NaN, null or None (any case). Every error names the
// file, the data row (1-based, the header not counted), its line, the column and the value.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpt {

struct CsvSchema {
  std::string file;
  std::vector<std::string> columns;   // all header names, in order
  size_t label_col = 0;               // index of the label column in `columns`
  std::vector<std::string> features;  // the other columns, in order
  bool float_label = false;           // regression: the label column holds float targets
  size_t width() const { return columns.size(); }
};

// From the header fields; throws when the label column is missing, a name is empty or repeated,
// or no feature column is left.
CsvSchema make_schema(const std::string& file, const std::vector<std::string_view>& header, const std::string& label);

struct CsvRow {
  std::vector<float> x;          // (D); NaN where missing
  std::vector<uint8_t> missing;  // (D); 1 where the cell was missing
  int64_t n_missing = 0;
  int32_t label = 0;  // the class; with CsvSchema::float_label the float32 target's bits
  bool label_missing = false;
};

enum class Cell { Number, Missing, Invalid };
// A feature cell: trims spaces; a finite number within float32 range, or a missing marker.
Cell parse_number(std::string_view text, double& value);
bool is_missing(std::string_view text);

// Parses one record (row: 1-based data row; line: its line in the file) into `out`.
// Throws for a wrong field count, a non-numeric or non-finite feature, or a label that is not a
// non-negative integer below 2^31 (float_label: not a finite number within float32 range).
void parse_row(const CsvSchema& s, const std::vector<std::string_view>& fields, int64_t row, int64_t line, CsvRow& out);

// A 64-bit hash of the row's content (features as float32 bits, missing cells, label): rows with
// equal hashes count as duplicates (distinct rows collide with probability about n^2 / 2^65).
uint64_t row_hash(const CsvRow& r);

}  // namespace dpt
