// Gradient sums that overlap with backward: each bucket of the flat gradient buffer is started as
// soon as backward has filled it and wait_all() finishes them all before the update. Two ways to
// make the sums progress while the rank computes:
//   poll    MPI_Iallreduce per bucket (in place); poll() (MPI_Testall) between layers drives them.
//           Open MPI's non-blocking collectives (libnbc) advance only inside MPI calls.
//   thread  a communication thread runs one blocking MPI_Allreduce per bucket, in start() order, on
//           its own duplicate of the communicator (so it never interleaves with the collectives of
//           the calling thread); poll() does nothing. Needs MPI_THREAD_MULTIPLE; without it, or on
//           one rank, AsyncSum falls back to poll (progress() says which runs).
// Either way wait_all() is one collective call, counted and watched by the watchdog like every
// Comm collective: a rank whose sums wait for a missing rank is seen waiting in it.
// Cost: the same bytes as one allreduce of the whole buffer, in several messages (~2 log P alpha +
// 2 (P-1)/P n beta per bucket); what it saves is the part that runs while later layers compute.
// thread: one extra thread per AsyncSum (sleeping on a condition variable between buckets) and,
// at construction, one collective (Comm::split) that makes the duplicate communicator. Open MPI's
// blocking allreduce busy-polls while it waits for the peers; on a core shared with backward, run
// with `--mca mpi_yield_when_idle 1` (OMPI_MCA_mpi_yield_when_idle=1) so that waiting yields.
// start_bf16 (comm.compress: bf16) sums bfloat16 words: half the bytes on the wire; a user MPI_Op
// adds each pair in float32 and rounds to bfloat16, so every partial sum of MPI's algorithm is
// rounded (as NCCL's bf16 allreduce); every rank receives the same words.
// start_scatter (optimizer.shard) is the reduce-scatter form: each rank receives only its own block
// of the bucket's sum (MPI_Ireduce_scatter, or MPI_Reduce_scatter on the thread): half the bytes of
// an all-reduce, ~(P-1) alpha + (P-1)/P n beta per bucket, on the thread. Open MPI's non-blocking
// form (libnbc, poll) is a reduce to rank 0 and a scatter: more bytes at rank 0 than an all-reduce.
// The buckets' sums are the same MPI_SUM over the same ranks as a blocking allreduce; for 1-2
// ranks bit-identical to it; for more ranks Open MPI may pick another algorithm (and with it
// another order of the additions) for a bucket than for the whole buffer.
// train.deterministic's exact sum (train/exact_sum.hpp) chains per bucket: start_max (block
// maxima), then() a local step (the conversion to int32 fixed point), start_sum of int32s, then()
// the conversion back. Everything runs in start order: a step runs once every collective started
// before it has finished (thread: on the communication thread, while the caller computes; poll:
// inside poll() or wait_all()), and a collective started after a step begins after it. Integer sums
// and maxima are exact, so these give the same bits in either mode and at any rank count.
// Hierarchical sums (comm.hierarchical, comm/hierarchy.hpp): with Hierarchy::on, or ::automatic on
// several nodes of which some has several ranks, every sum but start_scatter's runs as a reduce to
// the node's leader, an all-reduce among the leaders and a broadcast on the node (thread: three
// blocking calls per bucket; poll: MPI_Ireduce, MPI_Iallreduce, MPI_Ibcast, each stage started once
// every collective before it has finished). Float sums then add in another order than the flat
// all-reduce (within rounding of it); bf16 words are rounded at every partial sum as before; the
// exact int32 sums and maxima give the same bits. start_scatter stays flat (a reduce-scatter over
// every rank: each rank's block goes to that rank, which a node-level form would route twice).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>

#include "comm/comm.hpp"
#include "comm/hierarchy.hpp"

namespace dpt {

class AsyncSum {
 public:
  enum class Progress { poll, thread };
  // Collective when progress is thread or hierarchy is not off (it splits the communicator).
  explicit AsyncSum(const Comm& comm, Progress progress = Progress::poll, Hierarchy hierarchy = Hierarchy::off);
  ~AsyncSum();
  AsyncSum(const AsyncSum&) = delete;
  AsyncSum& operator=(const AsyncSum&) = delete;

  void start(float* buf, int64_t n);  // sum buf[0, n) across ranks, in place; every rank, same order
  // The same for bfloat16 words (comm.compress: bf16): pairs added in float32, rounded to bfloat16.
  void start_bf16(uint16_t* buf, int64_t n);
  // Sums send[0, split.total()) across ranks; this rank's block of the sum (split.counts[rank]
  // floats) goes to recv, which must not overlap send. `split` must live until wait_all().
  void start_scatter(const float* send, float* recv, const BlockSplit& split);
  void start_max(float* buf, int64_t n);    // element-wise maximum of buf[0, n) across ranks, in place
  void start_sum(int32_t* buf, int64_t n);  // sum of int32s (wraps on overflow, like MPI_SUM)
  // Runs `step` after every sum started before it and before every sum started after it (see
  // above). A step that throws makes wait_all() throw its message. A lambda of up to two pointers
  // or integers is stored in std::function without allocating.
  void then(std::function<void()> step);
  void poll();                       // poll: let MPI progress the started sums (MPI_Testall), run due steps
  void wait_all(const char* what);   // finish every started sum and step (one watched collective call)
  Progress progress() const;         // the mode that runs (thread may have fallen back to poll)
  bool hierarchical() const;         // the sums run over the nodes (see above)
  const Topology& topology() const;  // the job's nodes (measured unless Hierarchy::off or one rank)

  enum class Op : uint8_t { sum_f32, sum_bf16, max_f32, sum_i32, step };

 private:
  void start_any(void* buf, int64_t n, Op op, float* recv = nullptr, const BlockSplit* split = nullptr);
  void advance(bool block);  // poll mode: runs pending items in order (async_sum.cpp)
  struct Impl;
  struct Worker;
  const Comm& comm_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpt
