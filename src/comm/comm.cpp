#include "comm/comm.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>

#include "core/error.hpp"

namespace dpt {

namespace {
// MPI counts are int: split larger buffers into chunks.
template <class T, class F>
void chunked(T* buf, int64_t n, F&& f) {
  constexpr int64_t kMax = INT_MAX / 2;
  for (int64_t off = 0; off < n; off += kMax) f(buf + off, static_cast<int>(std::min(kMax, n - off)));
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fail("MPI {} failed: {}", what, std::string(msg, static_cast<size_t>(len)));
  }
}
}  // namespace

void Comm::init(int* argc, char*** argv) {
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  set_process_rank(rank);
}

void Comm::finalize() {
  int done = 0;
  MPI_Finalized(&done);
  if (!done) MPI_Finalize();
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
  MPI_Comm_rank(impl_->comm, &rank_);
  MPI_Comm_size(impl_->comm, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(impl_->comm, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
}

Comm Comm::split(int color) const {
  auto impl = std::make_shared<Impl>();
  check(MPI_Comm_split(impl_->comm, color, rank_, &impl->comm), "Comm_split");
  return Comm(std::move(impl));
}

void Comm::allreduce_sum(float* buf, int64_t n) const {
  chunked(buf, n, [c = impl_->comm](float* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_FLOAT, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_sum(double* buf, int64_t n) const {
  chunked(buf, n, [c = impl_->comm](double* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_DOUBLE, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_sum(int64_t* buf, int64_t n) const {
  chunked(buf, n, [c = impl_->comm](int64_t* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_INT64_T, MPI_SUM, c), "Allreduce");
  });
}

void Comm::bcast(float* buf, int64_t n, int root) const {
  chunked(buf, n, [root, c = impl_->comm](float* p, int k) { check(MPI_Bcast(p, k, MPI_FLOAT, root, c), "Bcast"); });
}

void Comm::bcast(std::string& s, int root) const {
  int64_t len = static_cast<int64_t>(s.size());
  check(MPI_Bcast(&len, 1, MPI_INT64_T, root, impl_->comm), "Bcast");
  s.resize(static_cast<size_t>(len));
  chunked(s.data(), len, [root, c = impl_->comm](char* p, int k) { check(MPI_Bcast(p, k, MPI_CHAR, root, c), "Bcast"); });
}

void Comm::alltoallv_rows(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                          const std::vector<int64_t>& recv_counts, int64_t row_bytes) const {
  std::vector<int> sc(static_cast<size_t>(size_)), sd(sc.size()), rc(sc.size()), rd(sc.size());
  int64_t so = 0, ro = 0;
  for (int q = 0; q < size_; ++q) {
    if (so + send_counts[q] > INT_MAX || ro + recv_counts[q] > INT_MAX)
      fail("alltoallv: more than {} rows per rank", INT_MAX);
    sc[q] = static_cast<int>(send_counts[q]), sd[q] = static_cast<int>(so), so += send_counts[q];
    rc[q] = static_cast<int>(recv_counts[q]), rd[q] = static_cast<int>(ro), ro += recv_counts[q];
  }
  MPI_Datatype row;
  MPI_Type_contiguous(static_cast<int>(row_bytes), MPI_BYTE, &row);
  MPI_Type_commit(&row);
  const int rc_all = MPI_Alltoallv(send, sc.data(), sd.data(), row, recv, rc.data(), rd.data(), row, impl_->comm);
  MPI_Type_free(&row);
  check(rc_all, "Alltoallv");
}

void Comm::barrier() const { check(MPI_Barrier(impl_->comm), "Barrier"); }

void Comm::check_same(uint64_t value, const std::string& what) const {
  // max(v) and max(-v) = -min(v) in one call; values are compared as two 32-bit halves.
  int64_t hi = static_cast<int64_t>(value >> 32), lo = static_cast<int64_t>(value & 0xffffffffu);
  int64_t v[4] = {hi, -hi, lo, -lo};
  check(MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_INT64_T, MPI_MAX, impl_->comm), "Allreduce");
  if (v[0] != -v[1] || v[2] != -v[3])
    fail("the ranks disagree about the {} (each rank must be started with the same inputs)", what);
}

double wall_time() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace dpt
