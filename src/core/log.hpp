// Logging: spdlog's default logger, with every line prefixed "[rank r] level:".
// Rank 0 logs at info; other ranks log warnings and errors only unless all_ranks is set.
// quiet: the screen (stderr) shows only warnings, errors and result() lines; a run's train.log
// still gets every info line.
#pragma once
#include <spdlog/spdlog.h>

#include <string>

namespace dpt::log {

void init(int rank, bool all_ranks, bool verbose, bool quiet = false);
// A line the user asked for (a command's final result): shown even when quiet.
void result(const std::string& line);
// While alive, every line this rank logs is also appended to `path` (rank 0's RUN_DIR/train.log).
class ScopedLogFile {
 public:
  explicit ScopedLogFile(const std::string& path);
  ~ScopedLogFile();
  ScopedLogFile(const ScopedLogFile&) = delete;
  ScopedLogFile& operator=(const ScopedLogFile&) = delete;

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
};

}  // namespace dpt::log
