// The MPI communicator of a training job. The only module that includes mpi.h.
// Each collective notes its cost for P ranks and n bytes (alpha: latency, beta: time per byte).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dpt {

class Comm {
 public:
  // MPI_Init_thread (FUNNELED: only the main thread calls MPI). Safe to call once per process.
  static void init(int* argc, char*** argv);
  static void finalize();
  static bool initialized();
  // Ends every rank of the job (MPI_Abort); used by main() after logging an error.
  [[noreturn]] static void abort(int code);

  Comm();  // MPI_COMM_WORLD
  // The ranks that pass the same color form a new communicator (MPI_Comm_split), ordered by rank.
  Comm split(int color) const;
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_size() const { return local_size_; }  // ranks on this node

  // Sum across ranks, in place, identical result on every rank.
  // Cost (ring / Rabenseifner): ~2 log P alpha + 2 (P-1)/P n beta.
  void allreduce_sum(float* buf, int64_t n) const;
  void allreduce_sum(double* buf, int64_t n) const;
  void allreduce_sum(int64_t* buf, int64_t n) const;
  // Cost (binomial tree / scatter-allgather): ~log P alpha + n beta.
  void bcast(float* buf, int64_t n, int root) const;
  void bcast(std::string& s, int root) const;
  // Personalized exchange of fixed-size rows: send_counts[q] rows (row_bytes each) go to rank q,
  // recv_counts[r] rows arrive from rank r; both buffers are ordered by rank.
  // Cost (pairwise): (P-1) alpha + (bytes sent + received) beta.
  void alltoallv_rows(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                      const std::vector<int64_t>& recv_counts, int64_t row_bytes) const;
  // Cost: ~log P alpha.
  void barrier() const;
  // Throws (the same message on every rank) unless every rank passed the same value; `what`
  // names it ("config", "data file size"). Cost: one 2-element allreduce.
  void check_same(uint64_t value, const std::string& what) const;

 private:
  struct Impl;
  explicit Comm(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

double wall_time();  // seconds, monotonic

}  // namespace dpt
