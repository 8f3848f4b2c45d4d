// The MPI communicator of a training job. The only module that includes mpi.h.
// Each collective notes its cost for P ranks and n bytes (alpha: latency, beta: time per byte).
//
// Every collective takes an optional `what`, a string with static storage ("gradients") that names
// it in watchdog messages. Each one counts as one "collective call" of this process (1, 2, ...,
// over every Comm of the process), the number the watchdog and DPTRAIN_FAULT use.
//
// Watchdog (start_watchdog): a thread per rank, on its own duplicate of MPI_COMM_WORLD, sends this
// rank's state (the number and name of the collective it is in or last left, and since when) to
// rank 0 about once a second, and rank 0's thread answers. Two limits, each 0 (off) or >= 1 s:
//  * heartbeat (dptrain's default: on, 60 s): rank 0 aborts the job (MPI_Abort) when a rank sends
//    nothing for that long (its process is stopped, frozen or unreachable); the other ranks abort
//    when rank 0 goes silent that long. The heartbeats come from the thread, not from collective
//    timing, so a slow step, checkpoint or evaluation never triggers it: only a process that
//    cannot run its thread does.
//  * wait (opt-in): rank 0 also aborts when a rank reported waiting in collective #n for longer
//    than that while another rank has not reached #n, naming the collective and the missing ranks.
//    A missing rank must have been heard from since (it really is elsewhere) or be silent for
//    longer than the limit (the suspect); a rank that reported being in or past #n is never named.
//    Only time spent waiting for a missing rank counts; all ranks in #n (slow MPI) only warn.
// Per collective it costs two clock reads and two uncontended mutex locks (~0.1 us). The numbers
// line up across ranks because every rank makes the same collective calls in the same order (true
// for dptrain, whose collectives are all on the world communicator; ranks making different numbers
// of calls on sub-communicators would be compared at different numbers).
//
// Test-only fault injection: DPTRAIN_FAULT="KIND:rank=R:call=N[:secs=S]" (read once, when the
// first Comm is made) makes rank R (or every rank for rank=*) act before its N-th collective call:
//   stall  sleep forever (outside the collective: the watchdog must name this rank)
//   sleep  sleep S seconds, then go on (a slow step; the watchdog must stay quiet if S < timeout)
//   throw  throw dpt::Error (main logs "[rank R] error: ..." and aborts the job)
//   exit   _exit(3) without MPI_Finalize
//   kill   raise SIGKILL
// Never set it in production runs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dpt {

// A flat buffer split over the ranks in rank order: rank q owns elements [displs[q], displs[q] +
// counts[q]). MPI counts are int: made once (of() throws past INT_MAX), used by every step.
struct BlockSplit {
  std::vector<int> counts, displs;
  static BlockSplit of(const std::vector<std::pair<int64_t, int64_t>>& ranges);  // [begin, end) per rank
  int64_t total() const { return counts.empty() ? 0 : int64_t{displs.back()} + counts.back(); }
};

class Comm {
 public:
  // MPI_Init_thread asking for MPI_THREAD_MULTIPLE (the watchdog thread calls MPI; otherwise only
  // the main thread does). Safe to call once per process.
  static void init(int* argc, char*** argv);
  // Stops the watchdog (collective: waits until every rank got here) and calls MPI_Finalize.
  static void finalize();
  static bool initialized();
  // Ends every rank of the job (MPI_Abort); used by main() after logging an error.
  [[noreturn]] static void abort(int code);

  Comm();  // MPI_COMM_WORLD
  // The ranks that pass the same color form a new communicator (MPI_Comm_split), ordered by rank.
  Comm split(int color) const;
  // The ranks that share memory with this one (MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)): its node.
  Comm split_shared() const;
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_size() const { return local_size_; }  // ranks on this node
  // Address of the underlying MPI_Comm, for the parallel-HDF5 checkpoint writer (MPI-IO needs
  // the communicator); everything else goes through the methods here.
  const void* native_handle() const;

  // Sum across ranks, in place, identical result on every rank.
  // Cost (ring / Rabenseifner): ~2 log P alpha + 2 (P-1)/P n beta.
  void allreduce_sum(float* buf, int64_t n, const char* what = nullptr) const;
  void allreduce_sum(double* buf, int64_t n, const char* what = nullptr) const;
  void allreduce_sum(int64_t* buf, int64_t n, const char* what = nullptr) const;
  void allreduce_sum(int32_t* buf, int64_t n, const char* what = nullptr) const;
  // In place: every rank's block of `split` (its own elements of buf) arrives at every rank, so
  // that buf[0, split.total()) ends the same everywhere. Cost (ring): (P-1) alpha + (P-1)/P n beta.
  void allgather_blocks(float* buf, const BlockSplit& split, const char* what = nullptr) const;
  // Element-wise maximum across ranks, in place (exact: the result does not depend on the order).
  // Cost: as allreduce_sum.
  void allreduce_max(double* buf, int64_t n, const char* what = nullptr) const;
  // Cost (binomial tree / scatter-allgather): ~log P alpha + n beta.
  void bcast(float* buf, int64_t n, int root, const char* what = nullptr) const;
  void bcast(std::string& s, int root, const char* what = nullptr) const;
  // Personalized exchange of fixed-size rows: send_counts[q] rows (row_bytes each) go to rank q,
  // recv_counts[r] rows arrive from rank r; both buffers are ordered by rank.
  // Cost (pairwise): (P-1) alpha + (bytes sent + received) beta.
  void alltoallv_rows(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                      const std::vector<int64_t>& recv_counts, int64_t row_bytes, const char* what = nullptr) const;
  // Cost: ~log P alpha.
  void barrier(const char* what = nullptr) const;
  // Throws (the same message on every rank) unless every rank passed the same value; `what`
  // names it ("config", "data file size"). Cost: one 2-element allreduce.
  void check_same(uint64_t value, const std::string& what) const;

  // Starts the watchdog on every rank of MPI_COMM_WORLD (collective; a no-op on one rank, when it
  // already runs, or when both limits are 0). wait_timeout_s bounds the time a rank may wait in a
  // collective for a rank that has not entered it; it must exceed the longest legitimate imbalance
  // between ranks, including rank 0 writing the model while the others wait to finish.
  // heartbeat_timeout_s bounds the silence of any rank's watchdog thread (0: wait_timeout_s).
  // Each is 0 (off) or >= 1; throws otherwise.
  static void start_watchdog(double wait_timeout_s, double heartbeat_timeout_s);
  static void start_watchdog(double timeout_s);  // both limits timeout_s
  // Stops it (collective: every rank calls it; finalize() does). The time until the last rank
  // arrives is watched like a collective named "end of run".
  static void stop_watchdog();
  static bool watchdog_running();
  // Collective calls this process has made so far (the number the next one gets is this + 1).
  static uint64_t collective_calls();

  // The rows of every rank, concatenated in rank order, arrive at `root`: counts[q] rows of
  // row_bytes each come from rank q (the same counts on every rank). recv (sum of counts rows) is
  // written on root only and may be null elsewhere. One collective call: an all-to-one
  // alltoallv_rows. Cost: (P-1) alpha + (all rows' bytes) beta at the root.
  void gatherv_rows(const void* send, const std::vector<int64_t>& counts, void* recv, int64_t row_bytes, int root,
                    const char* what = nullptr) const;

 private:
  struct Impl;
  explicit Comm(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

double wall_time();  // seconds, monotonic

}  // namespace dpt
