#include "train/stop_signals.hpp"

#include <csignal>

namespace dpt {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
}  // namespace

StopSignals::StopSignals()
    : term_((g_stop_signal = 0, std::signal(SIGTERM, on_stop_signal))),
      intr_(std::signal(SIGINT, on_stop_signal)),
      usr1_(std::signal(SIGUSR1, on_stop_signal)) {}

StopSignals::~StopSignals() {
  std::signal(SIGTERM, term_);
  std::signal(SIGINT, intr_);
  std::signal(SIGUSR1, usr1_);
}

int stop_signal() { return static_cast<int>(g_stop_signal); }

}  // namespace dpt
