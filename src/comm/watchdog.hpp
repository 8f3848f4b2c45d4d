// Internal to src/comm: the watchdog (what it does and costs: comm.hpp, Comm::start_watchdog). The
// main thread's position, the collective call it is in or last left, is kept here by Collective.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "comm/collective.hpp"

namespace dpt::detail {

// The main thread entered collective call `seq` / left it. No-ops (one relaxed atomic load) unless
// the watchdog runs.
void watch_enter(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what);
void watch_leave();

// Collective on MPI_COMM_WORLD (a no-op on one rank, when it runs already, when both timeouts are 0,
// or without MPI_THREAD_MULTIPLE); `calls_so_far` numbers the position it starts from. wait_s: the
// limit on a wait in a collective for a rank that has not entered it; heartbeat_s: on a rank's
// silence (where 0, wait_s is used). Each is 0 (off) or >= 1.
void start_watchdog(double wait_s, double heartbeat_s, uint64_t calls_so_far);
void stop_watchdog();  // collective: every rank calls it
bool watchdog_running();

// What rank 0's watchdog knows of one rank: its last report. Times in seconds on rank 0's clock.
struct Report {
  int rank = 0;
  uint64_t seq = 0;  // the collective call it is in or last left (0: none yet)
  bool inside = false;
  Op op = Op::none;
  std::string what, dtype;
  int64_t count = 0;
  double since = 0;  // when it entered (inside) or left that collective
  double heard = 0;  // when the report arrived
};
// "waiting in allreduce_sum #12 for 3.1 s", "outside any collective (computing) for ...", as of `at`.
std::string state_of(const Report& r, double at);

// Rank 0's judgement of the waits in collectives at time `now`, given every rank's last report.
//  abort: some rank reported waiting in collective #n for longer than wait_s while other ranks had
//    not reached #n: each of them was heard from since (it really was elsewhere) or has been
//    silent for longer than wait_s (it is the suspect). A rank that reported being in or past #n
//    is never named. The message names the collective, the missing ranks and where they are.
//  slow: every rank has reached #n (a slow network or MPI, not a missing rank): warn once per seq.
// Waits count as reported (the rank said it had waited longer than wait_s), never extrapolated
// from an old report: a rank that went silent while waiting is missing from later collectives,
// not a rank that waits.
struct Verdict {
  enum Kind { none, abort, slow } kind = none;
  uint64_t seq = 0;
  std::string message;
};
Verdict judge_waits(const std::vector<Report>& ranks, double now, double wait_s);

}  // namespace dpt::detail
