#include "prepare/csv_row.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace dpt {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// The value as a double; false unless the whole text is a finite number.
bool to_double(std::string_view t, double& v) {
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty()) return false;
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc() && p == t.data() + t.size() && std::isfinite(v);
}

uint64_t mix(uint64_t a, uint64_t b) {  // the 64x64 -> 128 multiply-fold of wyhash
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
}  // namespace

bool is_missing(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.size() > 4) return false;  // longer than every marker: the common case, decided at once
  for (std::string_view m : {"", "na", "n/a", "nan", "null", "none"})
    if (iequals(t, m)) return true;
  return false;
}

Cell parse_number(std::string_view text, double& value) {
  if (is_missing(text)) return Cell::Missing;
  if (!to_double(trim(text), value) || std::fabs(value) > std::numeric_limits<float>::max()) return Cell::Invalid;
  return Cell::Number;
}

CsvSchema make_schema(const std::string& file, const std::vector<std::string_view>& header, const std::string& label) {
  CsvSchema s;
  s.file = file;
  std::set<std::string> seen;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string name(trim(header[i]));
    if (name.empty()) fail("{}: line 1 (header): column {} has no name", file, i + 1);
    if (!seen.insert(name).second) fail("{}: line 1 (header): column name '{}' appears twice", file, name);
    s.columns.push_back(name);
  }
  const auto it = std::find(s.columns.begin(), s.columns.end(), label);
  if (it == s.columns.end())
    fail("{}: label column '{}' is not in the header (columns: {})", file, label, fmt::join(s.columns, ", "));
  s.label_col = static_cast<size_t>(it - s.columns.begin());
  for (size_t i = 0; i < s.columns.size(); ++i)
    if (i != s.label_col) s.features.push_back(s.columns[i]);
  if (s.features.empty()) fail("{}: no feature columns besides the label column '{}'", file, label);
  return s;
}

void parse_row(const CsvSchema& s, const std::vector<std::string_view>& fields, int64_t row, int64_t line,
               CsvRow& out) {
  if (fields.size() != s.width())
    fail("{}: row {} (line {}) has {} fields but the header has {} columns", s.file, row, line, fields.size(),
         s.width());
  const size_t D = s.features.size();
  out.x.resize(D);
  out.missing.assign(D, 0);
  out.n_missing = 0;
  size_t j = 0;
  for (size_t c = 0; c < fields.size(); ++c) {
    if (c == s.label_col) continue;
    double v = 0;
    switch (parse_number(fields[c], v)) {
      case Cell::Number:
        out.x[j] = static_cast<float>(v);
        break;
      case Cell::Missing:
        out.x[j] = std::numeric_limits<float>::quiet_NaN(), out.missing[j] = 1, ++out.n_missing;
        break;
      case Cell::Invalid:
        fail("{}: row {} (line {}), column '{}': value '{}' is not a number{}", s.file, row, line, s.columns[c],
             fields[c], " (features must be finite numbers within float32 range)");
    }
    ++j;
  }
  const std::string_view lab = fields[s.label_col];
  out.label_missing = is_missing(lab);
  out.label = 0;
  if (out.label_missing) return;
  double v = 0;
  if (s.float_label) {
    if (parse_number(lab, v) != Cell::Number)
      fail(
          "{}: row {} (line {}), target column '{}': value '{}' is not a number (regression targets must be finite "
          "numbers within float32 range)",
          s.file, row, line, s.columns[s.label_col], lab);
    const float f = v == 0 ? 0.0f : static_cast<float>(v);  // -0 and +0 are the same target
    std::memcpy(&out.label, &f, sizeof f);
    return;
  }
  if (!to_double(trim(lab), v) || v != std::floor(v) || v < 0 || v > std::numeric_limits<int32_t>::max())
    fail("{}: row {} (line {}), label column '{}': value '{}' is not a class label (an integer 0, 1, 2, ...)", s.file,
         row, line, s.columns[s.label_col], lab);
  out.label = static_cast<int32_t>(v);
}

uint64_t row_hash(const CsvRow& r) {
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
  uint64_t h = mix(static_cast<uint64_t>(r.x.size()) ^ k0, k1);
  for (size_t j = 0; j < r.x.size(); ++j) {
    uint32_t bits = 0;
    const float v = r.x[j] == 0.0f ? 0.0f : r.x[j];  // -0 and +0 are the same value
    std::memcpy(&bits, &v, 4);
    if (r.missing[j]) bits = 0x7fc00001u;  // one code for every missing cell
    h = mix(h ^ bits ^ (static_cast<uint64_t>(j) << 32), k1);
  }
  const uint64_t lab = r.label_missing ? ~uint64_t{0} : static_cast<uint64_t>(r.label);
  return mix(h ^ lab, k0);
}

}  // namespace dpt
