// Collective error agreement: checks that each rank runs on its own share (its data block, its
// batches) end every rank alike, so one rank's error never leaves the others in a collective and the
// job prints it once.
#pragma once
#include <functional>

#include "comm/comm.hpp"

namespace dpt {

// Collective: runs f on every rank; if it throws dpt::Error on any rank, every rank throws the
// lowest failing rank's message. `what` names the step for the watchdog. Cost: one 1-value
// allreduce, plus a broadcast of the message on failure.
void fail_together(const Comm& comm, const std::function<void()>& f, const char* what);

}  // namespace dpt
