#include "core/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/error.hpp"

#include <algorithm>

namespace dpt::log {

namespace {
std::shared_ptr<spdlog::sinks::sink> g_console;
}

void init(int rank, bool all_ranks, bool verbose, bool quiet) {
  g_console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("dptrain", g_console);
  logger->set_pattern(fmt::format("[rank {}] %l: %v", rank));
  spdlog::level::level_enum level = verbose ? spdlog::level::debug : spdlog::level::info;
  if (rank != 0 && !all_ranks) level = spdlog::level::warn;
  logger->set_level(level);
  g_console->set_level(quiet ? spdlog::level::warn : spdlog::level::trace);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void result(const std::string& line) {
  const auto shown = g_console ? g_console->level() : spdlog::level::trace;
  if (g_console) g_console->set_level(spdlog::level::trace);
  spdlog::info("{}", line);
  if (g_console) g_console->set_level(shown);
}

ScopedLogFile::ScopedLogFile(const std::string& path) {
  try {
    sink_ = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  } catch (const spdlog::spdlog_ex& e) {
    fail("{}: cannot open log file: {}", path, e.what());
  }
  sink_->set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S.%e] [rank {}] %l: %v", process_rank()));
  sink_->set_level(spdlog::level::info);
  auto logger = spdlog::default_logger();
  logger->sinks().push_back(sink_);
}

ScopedLogFile::~ScopedLogFile() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

}  // namespace dpt::log
