// Logging: spdlog's default logger, with every line prefixed "[rank r] level:".
// Rank 0 logs at info; other ranks log warnings and errors only unless all_ranks is set.
#pragma once
#include <spdlog/spdlog.h>

#include <string>

namespace dpt::log {

void init(int rank, bool all_ranks, bool verbose);
// Also append every line this rank logs to `path` (rank 0 keeps DIR/train.log this way).
void add_file(const std::string& path);

}  // namespace dpt::log
