// Internal to src/comm: the watchdog (what it does and costs: comm.hpp, Comm::start_watchdog). The
// main thread's position, the collective call it is in or last left, is kept here by Collective.
#pragma once
#include <cstdint>

#include "comm/collective.hpp"

namespace dpt::detail {

// The main thread entered collective call `seq` / left it. No-ops (one relaxed atomic load) unless
// the watchdog runs.
void watch_enter(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what);
void watch_leave();

// Collective on MPI_COMM_WORLD (a no-op on one rank, when it runs already, or without
// MPI_THREAD_MULTIPLE); `calls_so_far` numbers the position it starts from.
void start_watchdog(double timeout_s, uint64_t calls_so_far);
void stop_watchdog();  // collective: every rank calls it
bool watchdog_running();

}  // namespace dpt::detail
