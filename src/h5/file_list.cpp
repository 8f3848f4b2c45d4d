#include "h5/file_list.hpp"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.hpp"

namespace dpt {

bool is_glob(const std::string& spec) { return spec.find_first_of("*?[") != std::string::npos; }

namespace {
std::vector<std::string> glob_sorted(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::unique_ptr<glob_t, void (*)(glob_t*)> guard(&g, globfree);
  if (rc == GLOB_NOMATCH) fail("{}: no file matches this pattern", pattern);
  if (rc != 0) fail("{}: cannot expand this pattern (unreadable directory?)", pattern);
  std::vector<std::string> out(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  std::sort(out.begin(), out.end());  // byte order, whatever the locale
  return out;
}
}  // namespace

std::vector<std::string> expand_files(const std::vector<std::string>& specs) {
  std::vector<std::string> files;
  for (const auto& spec : specs) {
    if (!is_glob(spec) || std::filesystem::exists(spec)) {  // "a[1].h5" that exists is a file name
      files.push_back(spec);
      continue;
    }
    const auto matched = glob_sorted(spec);
    files.insert(files.end(), matched.begin(), matched.end());
  }
  std::vector<std::string> sorted = files;
  std::sort(sorted.begin(), sorted.end());
  if (const auto it = std::adjacent_find(sorted.begin(), sorted.end()); it != sorted.end())
    fail("{}: this file is part of the data set twice (listed twice, or matched by two patterns)", *it);
  return files;
}

}  // namespace dpt
