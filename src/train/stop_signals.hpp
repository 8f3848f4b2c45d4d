// Stop signals: SIGTERM/SIGINT/SIGUSR1 only raise a flag for as long as a StopSignals lives (all of
// train(): data loading, the epochs, the final checkpoint and model); the step loop polls it,
// checkpoints and stops. The previous handlers come back when it ends.
#pragma once

namespace dpt {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  void (*term_)(int);
  void (*intr_)(int);
  void (*usr1_)(int);  // mpirun forwards SIGUSR1 to every rank (its SIGTERM kills them within ~1 s)
};

// The signal received since the StopSignals was made; 0 = none.
int stop_signal();

}  // namespace dpt
