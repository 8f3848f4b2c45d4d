#include "comm/comm.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "comm/collective.hpp"
#include "comm/fault.hpp"
#include "comm/watchdog.hpp"
#include "core/error.hpp"

namespace dpt {

using detail::Collective;
using detail::Op;

namespace {
// MPI counts are int: split larger buffers into chunks.
template <class T, class F>
void chunked(T* buf, int64_t n, F&& f) {
  constexpr int64_t kMax = INT_MAX / 2;
  for (int64_t off = 0; off < n; off += kMax) f(buf + off, static_cast<int>(std::min(kMax, n - off)));
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) fail("MPI {} failed: {}", what, detail::mpi_error_text(rc));
}

uint64_t g_calls = 0;  // collective calls so far (main thread only)
bool g_thread_multiple = false;

}  // namespace

namespace detail {

Collective::Collective(Op op, const char* dtype, int64_t count, const char* what) {
  const uint64_t seq = ++g_calls;
  fault_before(seq, op, dtype, count, what);
  watch_enter(seq, op, dtype, count, what);
}
Collective::~Collective() { watch_leave(); }

uint64_t collective_calls() { return g_calls; }
void check_mpi(int rc, const char* what) { check(rc, what); }

std::string mpi_error_text(int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return std::string(msg, static_cast<size_t>(len));
}

}  // namespace detail

void Comm::init(int* argc, char*** argv) {
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  g_thread_multiple = provided >= MPI_THREAD_MULTIPLE;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  set_process_rank(rank);
}

void Comm::finalize() {
  int done = 0;
  MPI_Finalized(&done);
  if (done) return;
  stop_watchdog();
  MPI_Finalize();
}

bool Comm::initialized() {
  int init = 0;
  MPI_Initialized(&init);
  return init != 0;
}

void Comm::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

void Comm::start_watchdog(double timeout_s) { detail::start_watchdog(timeout_s, timeout_s, g_calls); }
void Comm::start_watchdog(double wait_timeout_s, double heartbeat_timeout_s) {
  detail::start_watchdog(wait_timeout_s, heartbeat_timeout_s, g_calls);
}
void Comm::stop_watchdog() { detail::stop_watchdog(); }
bool Comm::watchdog_running() { return detail::watchdog_running(); }
uint64_t Comm::collective_calls() { return g_calls; }

struct Comm::Impl {
  MPI_Comm comm = MPI_COMM_WORLD;
  ~Impl() {
    int done = 0;
    MPI_Finalized(&done);
    if (comm != MPI_COMM_WORLD && !done) MPI_Comm_free(&comm);
  }
};

Comm::Comm() : Comm(std::make_shared<Impl>()) {}

Comm::Comm(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {
  detail::read_fault_once();
  MPI_Comm_rank(impl_->comm, &rank_);
  MPI_Comm_size(impl_->comm, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(impl_->comm, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
}

const void* Comm::native_handle() const { return &impl_->comm; }

Comm Comm::split(int color) const {
  auto impl = std::make_shared<Impl>();
  {
    Collective c(Op::split, "", 0, nullptr);
    check(MPI_Comm_split(impl_->comm, color, rank_, &impl->comm), "Comm_split");
  }
  return Comm(std::move(impl));
}

Comm Comm::split_shared() const {
  auto impl = std::make_shared<Impl>();
  {
    Collective c(Op::split, "", 0, nullptr);
    check(MPI_Comm_split_type(impl_->comm, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &impl->comm), "Comm_split_type");
  }
  return Comm(std::move(impl));
}

void Comm::allreduce_sum(float* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "float", n, what);
  chunked(buf, n, [c = impl_->comm](float* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_FLOAT, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_sum(double* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "double", n, what);
  chunked(buf, n, [c = impl_->comm](double* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_DOUBLE, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_sum(int64_t* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "int64", n, what);
  chunked(buf, n, [c = impl_->comm](int64_t* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_INT64_T, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_sum(int32_t* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "int32", n, what);
  chunked(buf, n, [c = impl_->comm](int32_t* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_INT32_T, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_max(double* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "double max", n, what);  // shown as "allreduce_sum #k ... [double max x n]"
  chunked(buf, n, [c = impl_->comm](double* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_DOUBLE, MPI_MAX, c), "Allreduce");
  });
}

void Comm::bcast(float* buf, int64_t n, int root, const char* what) const {
  Collective c(Op::bcast, "float", n, what);
  chunked(buf, n, [root, c = impl_->comm](float* p, int k) { check(MPI_Bcast(p, k, MPI_FLOAT, root, c), "Bcast"); });
}

void Comm::bcast(std::string& s, int root, const char* what) const {
  Collective c(Op::bcast, "string", static_cast<int64_t>(s.size()), what);
  int64_t len = static_cast<int64_t>(s.size());
  check(MPI_Bcast(&len, 1, MPI_INT64_T, root, impl_->comm), "Bcast");
  s.resize(static_cast<size_t>(len));
  chunked(s.data(), len,
          [root, c = impl_->comm](char* p, int k) { check(MPI_Bcast(p, k, MPI_CHAR, root, c), "Bcast"); });
}

void Comm::alltoallv_rows(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                          const std::vector<int64_t>& recv_counts, int64_t row_bytes, const char* what) const {
  std::vector<int> sc(static_cast<size_t>(size_)), sd(sc.size()), rc(sc.size()), rd(sc.size());
  int64_t so = 0, ro = 0;
  for (int q = 0; q < size_; ++q) {
    if (so + send_counts[q] > INT_MAX || ro + recv_counts[q] > INT_MAX)
      fail("alltoallv: more than {} rows per rank", INT_MAX);
    sc[q] = static_cast<int>(send_counts[q]), sd[q] = static_cast<int>(so), so += send_counts[q];
    rc[q] = static_cast<int>(recv_counts[q]), rd[q] = static_cast<int>(ro), ro += recv_counts[q];
  }
  Collective c(Op::alltoallv, "rows sent", so, what);
  MPI_Datatype row;
  MPI_Type_contiguous(static_cast<int>(row_bytes), MPI_BYTE, &row);
  MPI_Type_commit(&row);
  const int rc_all = MPI_Alltoallv(send, sc.data(), sd.data(), row, recv, rc.data(), rd.data(), row, impl_->comm);
  MPI_Type_free(&row);
  check(rc_all, "Alltoallv");
}

BlockSplit BlockSplit::of(const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  BlockSplit s;
  int64_t next = 0;
  for (const auto& [b, e] : ranges) {
    if (b != next || e < b || e > INT_MAX)
      fail("internal: block split [{}, {}) after {} (blocks must tile)", b, e, next);
    s.displs.push_back(static_cast<int>(b)), s.counts.push_back(static_cast<int>(e - b));
    next = e;
  }
  return s;
}

void Comm::allgather_blocks(float* buf, const BlockSplit& split, const char* what) const {
  if (static_cast<int>(split.counts.size()) != size_)
    fail("internal: a block split for {} ranks on {}", split.counts.size(), size_);
  Collective c(Op::allgather, "float", split.total(), what);
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, split.counts.data(), split.displs.data(), MPI_FLOAT,
                       impl_->comm),
        "Allgatherv");
}

void Comm::barrier(const char* what) const {
  Collective c(Op::barrier, "", 0, what);
  check(MPI_Barrier(impl_->comm), "Barrier");
}

void Comm::check_same(uint64_t value, const std::string& what) const {
  // max(v) and max(-v) = -min(v) in one call; values are compared as two 32-bit halves.
  int64_t hi = static_cast<int64_t>(value >> 32), lo = static_cast<int64_t>(value & 0xffffffffu);
  int64_t v[4] = {hi, -hi, lo, -lo};
  {
    Collective c(Op::check_same, "", 0, nullptr);
    check(MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_INT64_T, MPI_MAX, impl_->comm), "Allreduce");
  }
  if (v[0] != -v[1] || v[2] != -v[3])
    fail("the ranks disagree about the {} (each rank must be started with the same inputs)", what);
}

double wall_time() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Comm::gatherv_rows(const void* send, const std::vector<int64_t>& counts, void* recv, int64_t row_bytes, int root,
                        const char* what) const {
  if (static_cast<int>(counts.size()) != size_ || root < 0 || root >= size_)
    fail("gatherv_rows: {} counts for {} ranks, root {}", counts.size(), size_, root);
  std::vector<int64_t> send_counts(static_cast<size_t>(size_), 0), recv_counts(send_counts);
  send_counts[root] = counts[rank_];
  if (rank_ == root) recv_counts = counts;
  alltoallv_rows(send, send_counts, recv, recv_counts, row_bytes, what ? what : "gatherv_rows");
}

}  // namespace dpt
