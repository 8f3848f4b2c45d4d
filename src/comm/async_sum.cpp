#include "comm/async_sum.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <climits>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
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

// How one started item is summed: floats (MPI_FLOAT, MPI_SUM), bfloat16 words (MPI_UINT16_T,
// bf16_sum), float maxima (MPI_FLOAT, MPI_MAX) or int32s (MPI_INT32_T, MPI_SUM).
struct Kind {
  MPI_Datatype type;
  MPI_Op op;
  size_t bytes;
  const char* name;
};
Kind kind_of(AsyncSum::Op op) {
  switch (op) {
    case AsyncSum::Op::sum_bf16:
      return {MPI_UINT16_T, bf16_sum_op(), 2, "bfloat16 values"};
    case AsyncSum::Op::max_f32:
      return {MPI_FLOAT, MPI_MAX, 4, "float maxima"};
    case AsyncSum::Op::sum_i32:
      return {MPI_INT32_T, MPI_SUM, 4, "int32 values"};
    default:
      return {MPI_FLOAT, MPI_SUM, 4, "floats"};
  }
}

// What a collective item runs: the flat collective, or one stage of a hierarchical sum.
enum class Stage : uint8_t { whole, node_reduce, cross_sum, node_bcast };

// One stage of a hierarchical sum of p[0, count) (hierarchy.hpp); non-blocking when req is given
// (*req stays MPI_REQUEST_NULL when this rank has nothing to do in that stage).
int run_stage(const NodeGroups& g, Stage s, void* p, int count, const Kind& k, MPI_Request* req) {
  if (req) *req = MPI_REQUEST_NULL;
  const bool leader = g.node.rank() == 0;
  if (s == Stage::cross_sum) {
    if (!leader || g.cross.size() == 1) return MPI_SUCCESS;
    const MPI_Comm c = mpi_comm(g.cross);
    return req ? MPI_Iallreduce(MPI_IN_PLACE, p, count, k.type, k.op, c, req)
               : MPI_Allreduce(MPI_IN_PLACE, p, count, k.type, k.op, c);
  }
  if (g.node.size() == 1) return MPI_SUCCESS;
  const MPI_Comm c = mpi_comm(g.node);
  if (s == Stage::node_bcast) return req ? MPI_Ibcast(p, count, k.type, 0, c, req) : MPI_Bcast(p, count, k.type, 0, c);
  const void* send = leader ? MPI_IN_PLACE : p;  // the leader sums into p; the others' results are unused
  void* recv = leader ? p : nullptr;
  return req ? MPI_Ireduce(send, recv, count, k.type, k.op, 0, c, req)
             : MPI_Reduce(send, recv, count, k.type, k.op, 0, c);
}
const char* stage_name(Stage s) {
  return s == Stage::node_reduce ? "node Reduce" : s == Stage::cross_sum ? "leaders' Allreduce" : "node Bcast";
}

// One entry of the queue: a collective over buf[0, n), or a local step (none: a fence that only
// waits for the collectives before it).
struct Item {
  AsyncSum::Op op = AsyncSum::Op::sum_f32;
  void* buf = nullptr;
  int64_t n = 0;
  std::function<void()> step;
  float* recv = nullptr;              // start_scatter: this rank's block of the sum
  const BlockSplit* split = nullptr;  // start_scatter: the blocks of the ranks
  Stage stage = Stage::whole;         // poll mode, hierarchical: the stage this item starts
};

// The items not yet taken, in order: a vector and the index of the next one (cleared when drained,
// so that a steady state reuses its capacity instead of allocating as a deque does).
struct Queue {
  std::vector<Item> items;
  size_t head = 0;
  bool empty() const { return head == items.size(); }
  void drained() { items.clear(), head = 0; }
};
}  // namespace

// The communication thread: takes items in start() order, sums each with a blocking MPI_Allreduce
// on its own communicator and runs each step. The main thread only enqueues and waits.
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
  void push(Item it) {
    {
      std::lock_guard lock(m);
      queue.items.push_back(std::move(it));
      ++started;
    }
    cv.notify_all();
  }
  // Blocks until every pushed item is done; throws the thread's first error, if any.
  void wait() {
    std::unique_lock lock(m);
    done_cv.wait(lock, [this] { return finished == started; });
    queue.drained();
    if (!error.empty()) fail("{}", std::exchange(error, std::string()));
  }

  void run() {
    for (;;) {
      Item it;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, nothing left
        it = std::move(queue.items[queue.head++]);
      }
      // Later items run even after an error: the peers run them too, and wait() reports it.
      std::string err = it.op == Op::step ? run_step(it) : run_allreduce(it);
      {
        std::lock_guard lock(m);
        if (!err.empty() && error.empty()) error = std::move(err);
        ++finished;
      }
      done_cv.notify_all();
    }
  }
  static std::string run_step(const Item& it) {
    try {
      it.step();
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  }
  std::string run_allreduce(const Item& it) {
    int rc = MPI_SUCCESS;
    const Kind k = kind_of(it.op);
    if (hier && !it.split) return run_hierarchical(it, k);
    if (it.split) rc = MPI_Reduce_scatter(it.buf, it.recv, it.split->counts.data(), MPI_FLOAT, MPI_SUM, mpi_comm(comm));
    for (int64_t off = 0; !it.split && off < it.n && rc == MPI_SUCCESS; off += kChunk)
      rc = MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(it.buf) + off * static_cast<int64_t>(k.bytes),
                         static_cast<int>(std::min(kChunk, it.n - off)), k.type, k.op, mpi_comm(comm));
    if (rc == MPI_SUCCESS) return {};
    return fmt::format("MPI {} of a gradient bucket ({} {}) failed in the communication thread: {}",
                       it.split ? "Reduce_scatter" : "Allreduce", it.n, k.name, detail::mpi_error_text(rc));
  }

  std::string run_hierarchical(const Item& it, const Kind& k) {
    for (int64_t off = 0; off < it.n; off += kChunk)
      for (Stage s : {Stage::node_reduce, Stage::cross_sum, Stage::node_bcast}) {
        const int rc = run_stage(*hier, s, static_cast<char*>(it.buf) + off * static_cast<int64_t>(k.bytes),
                                 static_cast<int>(std::min(kChunk, it.n - off)), k, nullptr);
        if (rc != MPI_SUCCESS)
          return fmt::format("MPI {} of a hierarchical gradient sum ({} {}) failed in the communication thread: {}",
                             stage_name(s), it.n, k.name, detail::mpi_error_text(rc));
      }
    return {};
  }

  Comm comm;  // duplicate of the caller's communicator: the thread's collectives never meet the caller's
  std::unique_ptr<NodeGroups> hier;  // set (before the first push) when the sums are hierarchical
  std::mutex m;
  std::condition_variable cv, done_cv;
  Queue queue;
  uint64_t started = 0, finished = 0;
  bool stopping = false;
  std::string error;
  std::thread thread;  // last: starts after everything above exists
};

struct AsyncSum::Impl {
  std::vector<MPI_Request> requests;  // poll: started, not known finished
  Queue pending;                      // poll: items behind a step that has not run yet
  std::unique_ptr<Worker> worker;     // thread
  std::unique_ptr<NodeGroups> hier;   // poll, hierarchical: the node and leader communicators
  Topology topo;
  int64_t items = 0;  // started since the last wait_all
};

AsyncSum::AsyncSum(const Comm& comm, Progress progress, Hierarchy hierarchy)
    : comm_(comm), impl_(std::make_unique<Impl>()) {
  (void)bf16_sum_op();  // made here, on the calling thread: a failure is an error line, not a terminate
  if (comm.size() == 1) return;
  if (progress == Progress::thread) {
    int provided = 0;
    MPI_Query_thread(&provided);
    if (provided >= MPI_THREAD_MULTIPLE)
      impl_->worker = std::make_unique<Worker>(comm.split(0));  // collective: same ranks, same order
    else  // every rank runs the same MPI library: all fall back alike
      spdlog::warn("comm.progress=thread: this MPI does not provide MPI_THREAD_MULTIPLE; polling instead");
  }
  if (hierarchy == Hierarchy::off) return;
  // The node groups split the communicator the sums run on: the thread's duplicate (whose thread
  // makes no MPI call before the first push) or the caller's.
  auto groups = std::make_unique<NodeGroups>(node_groups(impl_->worker ? impl_->worker->comm : comm, hierarchy));
  impl_->topo = groups->topo;
  if (!hierarchy_used(hierarchy, groups->topo)) return;
  (impl_->worker ? impl_->worker->hier : impl_->hier) = std::move(groups);
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
bool AsyncSum::hierarchical() const { return impl_->hier || (impl_->worker && impl_->worker->hier); }
const Topology& AsyncSum::topology() const { return impl_->topo; }

void AsyncSum::start(float* buf, int64_t n) { start_any(buf, n, Op::sum_f32); }
void AsyncSum::start_bf16(uint16_t* buf, int64_t n) { start_any(buf, n, Op::sum_bf16); }
void AsyncSum::start_max(float* buf, int64_t n) { start_any(buf, n, Op::max_f32); }
void AsyncSum::start_sum(int32_t* buf, int64_t n) { start_any(buf, n, Op::sum_i32); }

namespace {
void start_request(const Item& it, MPI_Comm c, const NodeGroups* g, std::vector<MPI_Request>& requests) {
  if (it.stage != Stage::whole) {
    const Kind kind = kind_of(it.op);
    for (int64_t off = 0; off < it.n; off += kChunk) {
      MPI_Request r;
      const int k = static_cast<int>(std::min(kChunk, it.n - off));
      const int rc =
          run_stage(*g, it.stage, static_cast<char*>(it.buf) + off * static_cast<int64_t>(kind.bytes), k, kind, &r);
      detail::check_mpi(rc, stage_name(it.stage));
      if (r != MPI_REQUEST_NULL) requests.push_back(r);
    }
    return;
  }
  if (it.split) {  // split.of() checked that every count fits an int
    MPI_Request r;
    detail::check_mpi(MPI_Ireduce_scatter(it.buf, it.recv, it.split->counts.data(), MPI_FLOAT, MPI_SUM, c, &r),
                      "Ireduce_scatter of a gradient bucket");
    requests.push_back(r);
    return;
  }
  const Kind kind = kind_of(it.op);
  for (int64_t off = 0; off < it.n; off += kChunk) {
    MPI_Request r;
    const int k = static_cast<int>(std::min(kChunk, it.n - off));
    detail::check_mpi(MPI_Iallreduce(MPI_IN_PLACE, static_cast<char*>(it.buf) + off * static_cast<int64_t>(kind.bytes),
                                     k, kind.type, kind.op, c, &r),
                      "Iallreduce of a gradient bucket");
    requests.push_back(r);
  }
}
}  // namespace

void AsyncSum::start_scatter(const float* send, float* recv, const BlockSplit& split) {
  if (static_cast<int>(split.counts.size()) != comm_.size())
    fail("internal: a reduce-scatter split for {} ranks on {}", split.counts.size(), comm_.size());
  start_any(const_cast<float*>(send), split.total(), Op::sum_f32, recv,
            &split);  // only read: MPI takes it as const void*
}

void AsyncSum::start_any(void* buf, int64_t n, Op op, float* recv, const BlockSplit* split) {
  ++impl_->items;
  Item it{op, buf, n, {}, recv, split};
  if (impl_->worker) return impl_->worker->push(std::move(it));
  Queue& q = impl_->pending;
  if (!impl_->hier || split) {
    if (!q.empty()) return q.items.push_back(std::move(it));  // after a step
    return start_request(it, mpi_comm(comm_), nullptr, impl_->requests);
  }
  // Hierarchical: each stage starts once the one before has finished (a fence: a step of nothing).
  for (Stage s : {Stage::node_reduce, Stage::cross_sum, Stage::node_bcast}) {
    it.stage = s;
    if (q.empty())
      start_request(it, mpi_comm(comm_), impl_->hier.get(), impl_->requests);
    else
      q.items.push_back(it);
    if (s != Stage::node_bcast) q.items.push_back({Op::step, nullptr, 0, {}, nullptr, nullptr});
  }
}

void AsyncSum::then(std::function<void()> step) {
  ++impl_->items;
  if (impl_->worker) return impl_->worker->push({Op::step, nullptr, 0, std::move(step), nullptr, nullptr});
  impl_->pending.items.push_back({Op::step, nullptr, 0, std::move(step), nullptr, nullptr});
  poll();  // runs at once when nothing is in flight
}

// poll mode: runs the pending items in order as far as the started requests allow; `block`: waits
// for them (MPI_Waitall) instead of testing (MPI_Testall, which frees them only when all are done).
void AsyncSum::advance(bool block) {
  Queue& q = impl_->pending;
  auto& req = impl_->requests;
  while (!q.empty()) {
    Item& it = q.items[q.head];
    if (it.op == Op::step) {
      if (!req.empty()) {
        int done = 1;
        if (block)
          detail::check_mpi(MPI_Waitall(static_cast<int>(req.size()), req.data(), MPI_STATUSES_IGNORE), "Waitall");
        else
          detail::check_mpi(MPI_Testall(static_cast<int>(req.size()), req.data(), &done, MPI_STATUSES_IGNORE),
                            "Testall");
        if (!done) return;
        req.clear();
      }
      if (it.step) it.step();
    } else {
      start_request(it, mpi_comm(comm_), impl_->hier.get(), req);
    }
    ++q.head;
  }
  q.drained();
}

void AsyncSum::poll() {
  if (!impl_->pending.empty()) return advance(false);
  if (impl_->requests.empty()) return;
  int done = 0;
  MPI_Testall(static_cast<int>(impl_->requests.size()), impl_->requests.data(), &done, MPI_STATUSES_IGNORE);
  if (done) impl_->requests.clear();
}

void AsyncSum::wait_all(const char* what) {
  // shown as "allreduce_sum #k (what) [buckets x n]"; one call however many items and steps
  detail::Collective c(detail::Op::allreduce_sum, "buckets", impl_->items, what);
  impl_->items = 0;
  if (impl_->worker) return impl_->worker->wait();
  advance(true);
  auto& req = impl_->requests;
  if (!req.empty())
    detail::check_mpi(MPI_Waitall(static_cast<int>(req.size()), req.data(), MPI_STATUSES_IGNORE), "Waitall");
  req.clear();
}

}  // namespace dpt
