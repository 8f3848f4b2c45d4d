#include "comm/async_sum.hpp"

#include <mpi.h>

#include <climits>
#include <vector>

#include "core/error.hpp"

namespace dpt {

struct AsyncSum::Impl {
  std::vector<MPI_Request> requests;
};

AsyncSum::AsyncSum(const Comm& comm) : comm_(comm), impl_(std::make_unique<Impl>()) {}

AsyncSum::~AsyncSum() {
  if (!impl_->requests.empty()) MPI_Waitall(static_cast<int>(impl_->requests.size()), impl_->requests.data(), MPI_STATUSES_IGNORE);
}

void AsyncSum::start(float* buf, int64_t n) {
  const MPI_Comm c = *static_cast<const MPI_Comm*>(comm_.native_handle());
  for (int64_t off = 0; off < n; off += INT_MAX / 2) {
    MPI_Request r;
    const int k = static_cast<int>(std::min<int64_t>(INT_MAX / 2, n - off));
    if (MPI_Iallreduce(MPI_IN_PLACE, buf + off, k, MPI_FLOAT, MPI_SUM, c, &r) != MPI_SUCCESS)
      fail("MPI_Iallreduce of {} floats failed", k);
    impl_->requests.push_back(r);
  }
}

void AsyncSum::poll() {
  if (impl_->requests.empty()) return;
  int done = 0;
  MPI_Testall(static_cast<int>(impl_->requests.size()), impl_->requests.data(), &done, MPI_STATUSES_IGNORE);
}

void AsyncSum::wait_all(const char* what) {
  comm_.wait_requests(impl_->requests.data(), static_cast<int>(impl_->requests.size()), what);
  impl_->requests.clear();
}

}  // namespace dpt
