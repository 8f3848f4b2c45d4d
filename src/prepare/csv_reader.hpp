// A streaming CSV reader: records of comma-separated fields, one per line, read through a buffer
// of a fixed size (memory: the buffer plus the longest line, never the file). RFC 4180 quoting:
// a field that starts with '"' ends at the next lone '"', and '""' inside it stands for '"'.
// Accepted: '\n' or "\r\n" line ends, a UTF-8 byte-order mark, blank lines (skipped), spaces
// around unquoted fields (kept; callers trim). Not supported: line breaks inside quoted fields
// (an error naming the line), other separators.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dpt {

class CsvReader {
 public:
  explicit CsvReader(const std::string& path, size_t buffer_bytes = 1 << 20);
  // The next non-blank record; the views stay valid until the next call. false at the end of the file.
  bool next(std::vector<std::string_view>& fields);
  int64_t line() const { return line_no_; }  // 1-based line of the record last returned
  const std::string& path() const { return path_; }

 private:
  bool read_line();  // the next line (without its end) into line_; false at the end
  void split(std::vector<std::string_view>& fields);

  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  std::string line_;
  int64_t line_no_ = 0;
};

}  // namespace dpt
