#include "core/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/error.hpp"

namespace dpt::log {

void init(int rank, bool all_ranks, bool verbose) {
  auto logger = std::make_shared<spdlog::logger>("dptrain",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern(fmt::format("[rank {}] %l: %v", rank));
  spdlog::level::level_enum level = verbose ? spdlog::level::debug : spdlog::level::info;
  if (rank != 0 && !all_ranks) level = spdlog::level::warn;
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void add_file(const std::string& path) {
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> sink;
  try {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  } catch (const spdlog::spdlog_ex& e) {
    fail("{}: cannot open log file: {}", path, e.what());
  }
  sink->set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S.%e] [rank {}] %l: %v", process_rank()));
  spdlog::default_logger()->sinks().push_back(sink);
}

}  // namespace dpt::log
