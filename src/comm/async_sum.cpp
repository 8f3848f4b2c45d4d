#include "comm/async_sum.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <climits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "comm/collective.hpp"
#include "core/bf16.hpp"
#include "core/error.hpp"

namespace dpt {

namespace {
MPI_Comm mpi_comm(const Comm& c) { return *static_cast<const MPI_Comm*>(c.native_handle()); }
constexpr int64_t kChunk = INT_MAX / 2;  // MPI counts are int

// The sum of bfloat16 words: each pair added in float32, the result rounded to bfloat16 (as NCCL
// and PyTorch's bf16_compress_hook sum bf16). Commutative; MPI applies it along its reduction.
void bf16_sum(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) b[i] = float_to_bf16(bf16_to_float(a[i]) + bf16_to_float(b[i]));
}

MPI_Op bf16_sum_op() {
  static const MPI_Op op = [] {
    MPI_Op o;
    if (MPI_Op_create(bf16_sum, 1, &o) != MPI_SUCCESS) fail("MPI_Op_create of the bfloat16 sum failed");
    return o;
  }();
  return op;
}

// One bucket's sum: floats (MPI_FLOAT, MPI_SUM) or bfloat16 words (MPI_UINT16_T, bf16_sum).
struct Kind {
  MPI_Datatype type;
  MPI_Op op;
  size_t bytes;
};
Kind kind_of(bool bf16) { return bf16 ? Kind{MPI_UINT16_T, bf16_sum_op(), 2} : Kind{MPI_FLOAT, MPI_SUM, 4}; }
}  // namespace

// The communication thread: takes buckets in start() order and sums each with a blocking
// MPI_Allreduce on its own communicator. The main thread only enqueues and waits.
struct AsyncSum::Worker {
  explicit Worker(Comm dup) : comm(std::move(dup)), thread([this] { run(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(m);
      stopping = true;
    }
    cv.notify_all();
    thread.join();
  }
  bool idle() {
    std::lock_guard lock(m);
    return finished == started;
  }
  void push(void* buf, int64_t n, bool bf16, float* recv, const BlockSplit* split) {
    {
      std::lock_guard lock(m);
      queue.push_back({buf, n, bf16, recv, split});
      ++started;
    }
    cv.notify_all();
  }
  // Blocks until every pushed bucket is summed; throws the thread's MPI error, if any.
  void wait() {
    std::unique_lock lock(m);
    done_cv.wait(lock, [this] { return finished == started; });
    if (!error.empty()) fail("{}", error);
  }

  void run() {
    const MPI_Comm c = mpi_comm(comm);
    for (;;) {
      Item it;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, nothing left
        it = queue.front();
        queue.pop_front();
      }
      int rc = MPI_SUCCESS;
      const Kind k = kind_of(it.bf16);
      if (it.split) rc = MPI_Reduce_scatter(it.buf, it.recv, it.split->counts.data(), MPI_FLOAT, MPI_SUM, c);
      for (int64_t off = 0; !it.split && off < it.n && rc == MPI_SUCCESS; off += kChunk)
        rc = MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(it.buf) + off * static_cast<int64_t>(k.bytes),
                           static_cast<int>(std::min(kChunk, it.n - off)), k.type, k.op, c);
      {
        std::lock_guard lock(m);
        if (rc != MPI_SUCCESS && error.empty())
          error = fmt::format("MPI {} of a gradient bucket ({} {}) failed in the communication thread: {}",
                              it.split ? "Reduce_scatter" : "Allreduce", it.n, it.bf16 ? "bfloat16" : "floats",
                              detail::mpi_error_text(rc));
        ++finished;
      }
      done_cv.notify_all();
    }
  }

  struct Item {
    void* buf = nullptr;
    int64_t n = 0;
    bool bf16 = false;
    float* recv = nullptr;              // start_scatter: this rank's block of the sum
    const BlockSplit* split = nullptr;  // start_scatter: the blocks of the ranks
  };
  Comm comm;  // duplicate of the caller's communicator: the thread's collectives never meet the caller's
  std::mutex m;
  std::condition_variable cv, done_cv;
  std::deque<Item> queue;
  uint64_t started = 0, finished = 0;
  bool stopping = false;
  std::string error;
  std::thread thread;  // last: starts after everything above exists
};

struct AsyncSum::Impl {
  std::vector<MPI_Request> requests;  // poll
  std::unique_ptr<Worker> worker;     // thread
  int64_t buckets = 0;                // started since the last wait_all (thread)
};

AsyncSum::AsyncSum(const Comm& comm, Progress progress) : comm_(comm), impl_(std::make_unique<Impl>()) {
  (void)bf16_sum_op();  // made here, on the calling thread: a failure is an error line, not a terminate
  if (progress != Progress::thread || comm.size() == 1) return;
  int provided = 0;
  MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_MULTIPLE) {  // every rank runs the same MPI library: all fall back alike
    spdlog::warn("comm.progress=thread: this MPI does not provide MPI_THREAD_MULTIPLE; polling instead");
    return;
  }
  impl_->worker = std::make_unique<Worker>(comm.split(0));  // collective: same ranks, same order
}

AsyncSum::~AsyncSum() {
  if (!impl_->requests.empty())
    MPI_Waitall(static_cast<int>(impl_->requests.size()), impl_->requests.data(), MPI_STATUSES_IGNORE);
  // Sums still running mean an error is unwinding this rank (wait_all was not reached): a blocking
  // MPI_Allreduce cannot be cancelled and the peers may never join it, so the thread and its Worker
  // are left to the MPI_Abort that follows instead of being waited for.
  if (impl_->worker && !impl_->worker->idle()) {
    impl_->worker->thread.detach();
    (void)impl_->worker.release();
  }
  impl_->worker.reset();
}

AsyncSum::Progress AsyncSum::progress() const { return impl_->worker ? Progress::thread : Progress::poll; }

void AsyncSum::start(float* buf, int64_t n) { start_any(buf, n, false); }
void AsyncSum::start_bf16(uint16_t* buf, int64_t n) { start_any(buf, n, true); }

void AsyncSum::start_scatter(const float* send, float* recv, const BlockSplit& split) {
  if (static_cast<int>(split.counts.size()) != comm_.size())
    fail("internal: a reduce-scatter split for {} ranks on {}", split.counts.size(), comm_.size());
  start_any(const_cast<float*>(send), split.total(), false, recv, &split);  // only read: MPI takes it as const void*
}

void AsyncSum::start_any(void* buf, int64_t n, bool bf16, float* recv, const BlockSplit* split) {
  if (impl_->worker) {
    impl_->worker->push(buf, n, bf16, recv, split);
    ++impl_->buckets;
    return;
  }
  const MPI_Comm c = mpi_comm(comm_);
  if (split) {  // split.of() checked that every count fits an int
    MPI_Request r;
    const int rc = MPI_Ireduce_scatter(buf, recv, split->counts.data(), MPI_FLOAT, MPI_SUM, c, &r);
    if (rc != MPI_SUCCESS) fail("MPI_Ireduce_scatter of {} floats failed: {}", n, detail::mpi_error_text(rc));
    impl_->requests.push_back(r);
    return;
  }
  const Kind kind = kind_of(bf16);
  for (int64_t off = 0; off < n; off += kChunk) {
    MPI_Request r;
    const int k = static_cast<int>(std::min(kChunk, n - off));
    if (MPI_Iallreduce(MPI_IN_PLACE, static_cast<char*>(buf) + off * static_cast<int64_t>(kind.bytes), k, kind.type,
                       kind.op, c, &r) != MPI_SUCCESS)
      fail("MPI_Iallreduce of {} {} failed", k, bf16 ? "bfloat16 values" : "floats");
    impl_->requests.push_back(r);
  }
}

void AsyncSum::poll() {
  if (impl_->requests.empty()) return;
  int done = 0;
  MPI_Testall(static_cast<int>(impl_->requests.size()), impl_->requests.data(), &done, MPI_STATUSES_IGNORE);
}

void AsyncSum::wait_all(const char* what) {
  if (impl_->worker) {
    // shown as "allreduce_sum #k (what) [buckets x n]", like the polled path
    detail::Collective c(detail::Op::allreduce_sum, "buckets", impl_->buckets, what);
    impl_->buckets = 0;
    impl_->worker->wait();
    return;
  }
  comm_.wait_requests(impl_->requests.data(), static_cast<int>(impl_->requests.size()), what);
  impl_->requests.clear();
}

}  // namespace dpt
