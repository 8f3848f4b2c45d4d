// The comm.* options (how the gradient sums run) and the watchdog's runtime.heartbeat_timeout and
// runtime.watchdog_timeout, owned by comm/.
#pragma once
#include <cstdint>

#include "comm/hierarchy.hpp"
#include "core/config.hpp"

namespace dpt {

const OptionTable& comm_options();      // comm.*
const OptionTable& watchdog_options();  // runtime.heartbeat_timeout, runtime.watchdog_timeout

struct CommSettings {
  bool overlap;              // start gradient sums during backward (else one allreduce after it)
  bool overlap_auto;         // comm.overlap: auto: the first steps choose (overlap is then true)
  int64_t bucket_floats;     // gradient bucket size for overlap
  bool comm_thread;          // overlap: a communication thread drives the sums (else MPI polling)
  bool compress_bf16;        // comm.compress: bf16: the gradient sums carry bfloat16
  bool compress_powersgd;    // comm.compress: powersgd: low-rank sums with error feedback (train/powersgd)
  int64_t powersgd_rank;     // comm.powersgd_rank
  Hierarchy hierarchy;       // comm.hierarchical
  double watchdog_timeout;   // 0: off
  double heartbeat_timeout;  // 0: off
};

// Throws for a timeout between 0 and 1 s.
CommSettings read_comm_settings(const Config& c);

}  // namespace dpt
