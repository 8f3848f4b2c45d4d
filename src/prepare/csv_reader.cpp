#include "prepare/csv_reader.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace dpt {

CsvReader::CsvReader(const std::string& path, size_t buffer_bytes)
    : path_(path), f_(nullptr, std::fclose), buf_(std::max<size_t>(buffer_bytes, 1)) {
  if (!std::filesystem::exists(path)) fail("{}: CSV file not found", path);
  if (std::filesystem::is_directory(path)) fail("{}: is a directory, not a CSV file", path);
  f_.reset(std::fopen(path.c_str(), "rb"));
  if (!f_) fail("{}: cannot open ({})", path, std::strerror(errno));
}

bool CsvReader::read_line() {
  line_.clear();
  bool any = false;
  for (;;) {
    if (pos_ == end_) {
      if (eof_) return any;
      end_ = std::fread(buf_.data(), 1, buf_.size(), f_.get());
      pos_ = 0;
      if (end_ < buf_.size()) {
        if (std::ferror(f_.get())) fail("{}: read error after line {}", path_, line_no_);
        eof_ = true;
      }
      if (end_ == 0) return any;
    }
    const char* start = buf_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const size_t n = nl ? static_cast<size_t>(nl - start) : end_ - pos_;
    line_.append(start, n);
    any = true;
    pos_ += n + (nl ? 1 : 0);
    if (nl) break;
  }
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_no_ == 0 && line_.rfind("\xEF\xBB\xBF", 0) == 0) line_.erase(0, 3);  // UTF-8 byte-order mark
  return true;
}

void CsvReader::split(std::vector<std::string_view>& fields) {
  fields.clear();
  // Quoted fields are unescaped in place: the write position never passes the read position.
  char* s = line_.data();
  const size_t n = line_.size();
  size_t r = 0, w = 0;
  for (;;) {
    const size_t begin = w;
    if (r < n && s[r] == '"') {
      ++r;
      for (;;) {
        if (r >= n)
          fail("{}: line {}: a quoted field is not closed (line breaks inside fields are not supported)", path_,
               line_no_);
        if (s[r] == '"' && r + 1 < n && s[r + 1] == '"')
          s[w++] = '"', r += 2;
        else if (s[r] == '"')
          break;
        else
          s[w++] = s[r++];
      }
      ++r;  // the closing quote
      while (r < n && s[r] == ' ') ++r;
      if (r < n && s[r] != ',')
        fail("{}: line {}: unexpected text after a closing quote (field {})", path_, line_no_, fields.size() + 1);
    } else {
      while (r < n && s[r] != ',') s[w++] = s[r++];
    }
    fields.emplace_back(s + begin, w - begin);
    if (r >= n) break;
    ++r;  // the comma
  }
}

bool CsvReader::next(std::vector<std::string_view>& fields) {
  for (;;) {
    if (!read_line()) return false;
    ++line_no_;
    if (line_.find_first_not_of(" \t") != std::string::npos) break;  // skip blank lines
  }
  split(fields);
  return true;
}

}  // namespace dpt
