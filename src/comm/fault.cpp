#include "comm/fault.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.hpp"

namespace dpt::detail {

namespace {

enum class FaultKind { none, stall, sleep, throw_, exit, kill };
struct Fault {
  FaultKind kind = FaultKind::none;
  int rank = -1;  // -1: every rank
  uint64_t call = 0;
  double secs = 0;
};
Fault g_fault;
std::once_flag g_fault_once;

Fault parse_fault(const std::string& spec) {
  Fault f;
  auto bad = [&](const std::string& why) {
    fail(
        "DPTRAIN_FAULT='{}': {} (expected KIND:rank=R:call=N[:secs=S] with KIND stall, sleep, throw, exit "
        "or kill, R a rank or *, N >= 1; test-only)",
        spec, why);
  };
  size_t pos = 0;
  bool have_rank = false, have_call = false;
  for (int field = 0; pos <= spec.size(); ++field) {
    const size_t end = std::min(spec.find(':', pos), spec.size());
    const std::string tok = spec.substr(pos, end - pos);
    pos = end + 1;
    if (field == 0) {
      if (tok == "stall")
        f.kind = FaultKind::stall;
      else if (tok == "sleep")
        f.kind = FaultKind::sleep;
      else if (tok == "throw")
        f.kind = FaultKind::throw_;
      else if (tok == "exit")
        f.kind = FaultKind::exit;
      else if (tok == "kill")
        f.kind = FaultKind::kill;
      else
        bad("unknown kind '" + tok + "'");
      continue;
    }
    const size_t eq = tok.find('=');
    if (eq == std::string::npos) bad("'" + tok + "' is not key=value");
    const std::string key = tok.substr(0, eq), val = tok.substr(eq + 1);
    char* e = nullptr;
    if (key == "rank") {
      have_rank = true;
      if (val == "*")
        f.rank = -1;
      else if ((f.rank = static_cast<int>(std::strtol(val.c_str(), &e, 10))) < 0 || val.empty() || *e)
        bad("bad rank");
    } else if (key == "call") {
      have_call = true;
      f.call = std::strtoull(val.c_str(), &e, 10);
      if (f.call < 1 || val.empty() || *e) bad("bad call");
    } else if (key == "secs") {
      f.secs = std::strtod(val.c_str(), &e);
      if (!(f.secs >= 0) || val.empty() || *e) bad("bad secs");
    } else {
      bad("unknown key '" + key + "'");
    }
  }
  if (!have_rank || !have_call) bad("rank= and call= are required");
  return f;
}

void inject(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what) {
  const Fault& f = g_fault;
  if (f.rank >= 0 && f.rank != process_rank()) return;
  const std::string at = describe(seq, op, dtype, count, what);
  switch (f.kind) {
    case FaultKind::none:
      return;
    case FaultKind::stall:
      spdlog::warn("DPTRAIN_FAULT (test-only): stalling forever before {}", at);
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    case FaultKind::sleep:
      spdlog::warn("DPTRAIN_FAULT (test-only): sleeping {} s before {}", f.secs, at);
      std::this_thread::sleep_for(std::chrono::duration<double>(f.secs));
      return;
    case FaultKind::throw_:
      fail("DPTRAIN_FAULT (test-only): injected error before {}", at);
    case FaultKind::exit:
      spdlog::warn("DPTRAIN_FAULT (test-only): exiting with code 3 before {}, without MPI_Finalize", at);
      spdlog::default_logger()->flush();
      std::_Exit(3);
    case FaultKind::kill:
      spdlog::warn("DPTRAIN_FAULT (test-only): SIGKILL to myself before {}", at);
      spdlog::default_logger()->flush();
      std::raise(SIGKILL);
      return;
  }
}

}  // namespace

void read_fault_once() {
  std::call_once(g_fault_once, [] {
    const char* v = std::getenv("DPTRAIN_FAULT");
    if (!v || !*v) return;
    try {
      g_fault = parse_fault(v);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      spdlog::default_logger()->flush();
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  });
}

void fault_before(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what) {
  if (g_fault.kind != FaultKind::none && g_fault.call == seq) inject(seq, op, dtype, count, what);
}

}  // namespace dpt::detail
