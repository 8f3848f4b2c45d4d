// comm.compress: powersgd -- low-rank gradient compression with error feedback (Vogels, Karimireddy
// and Jaggi 2019, "PowerSGD"; what PyTorch's powerSGD_hook does), one power iteration per step,
// warm-started from the previous step's factors.
//
// Every trainable tensor with two or more dimensions is viewed as a matrix M (n, m) = (shape[0],
// the rest), and compressed at rank r = min(comm.powersgd_rank, n, m) when that shrinks it at least
// twofold ((n + m) r * 2 < n m); the other tensors (biases, batchnorm, small weights) are summed
// as they are. Per compressed tensor and step, on each rank:
//   M  = gradient + e                       e: this rank's error feedback (n, m), kept across steps
//   P  = M Q                                Q (m, r): the factor of the last step (random at first)
//   P  = sum over ranks of P                all-reduce 1 (with the bucket's uncompressed values)
//   P  = orthonormal columns of P           (kern::orthonormalize_columns: the same on every rank)
//   Q  = M^T P;  e = M - P Q^T              this rank's part and what it leaves out
//   Q  = sum over ranks of Q                all-reduce 2
//   gradient = P Q^T                        the approximate sum, the same bits on every rank
// The approximations plus the ranks' errors always add up to the true sums (the errors feed the
// part a step leaves out into the next), so nothing is lost, only delayed.
// Bytes on the wire per step: (n + m) r per compressed tensor instead of n m. The two all-reduces
// of a bucket and the local steps between them run in order on AsyncSum (the communication thread
// with comm.overlap) as soon as backward has filled the bucket; the products M Q run on the caller.
// State per rank: e and Q (state()), written to checkpoints (each rank its own row).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "comm/async_sum.hpp"
#include "model/param_store.hpp"

namespace dpt {

class PowerSgd {
 public:
  struct Range {
    int64_t offset, count;
  };
  // buckets: ranges of the flat gradient buffer in the order start() will get them, covering it.
  // store's gradient buffer is where start() reads the gradients and writes the sums.
  PowerSgd(ParamStore& store, const std::vector<Range>& buckets, int64_t rank, uint64_t seed);
  // Bucket k of the gradients is final (all earlier buckets were started): starts its compressed
  // sum. Once async.wait_all() returns, the bucket holds the approximate sum over the ranks.
  void start(AsyncSum& async, size_t k);
  void reset();  // errors to 0 and factors to their initial values (after a step with NaN or inf)

  // This rank's state, for checkpoints: the errors, then the factors Q.
  float* state() { return state_.data(); }
  int64_t state_size() const { return static_cast<int64_t>(state_.size()); }
  int64_t errors_size() const { return errors_; }  // the errors' part of state()
  int64_t compressed_tensors() const { return static_cast<int64_t>(tensors_.size()); }
  int64_t wire_floats() const { return wire_; }        // floats all-reduced per step
  int64_t bucket_wire(size_t k) const { return buckets_[k].stage_count + buckets_[k].q_count; }  // of bucket k
  int64_t compressed_floats() const { return dense_; }  // the compressed tensors' size
  // What state() means: the rank and each compressed tensor's place and matrix, in state() order.
  // A checkpoint's state is used only when its layout is this one (comm.bucket_kb and
  // comm.powersgd_rank change it).
  const std::string& layout() const { return layout_; }

 private:
  struct Tensor {
    int64_t offset, n, m, r;  // in the flat buffer; M (n, m); rank r
    int64_t e_at, p_at;       // its error in state_, its P in stage_
  };
  struct Bucket {
    std::vector<Range> plain;     // uncompressed ranges, summed as they are
    std::vector<size_t> tensors;  // compressed tensors
    int64_t stage_at = 0, stage_count = 0;  // in stage_: the plain values, then every tensor's P
    int64_t q_at = 0, q_count = 0;          // the tensors' Q, one after the other, in state_
  };
  void after_p(size_t k);  // the sum of P has arrived: orthonormalize, Q = M^T P, errors
  void after_q(size_t k);  // the sum of Q has arrived: the approximate gradients
  void init_factors();
  // A column of Q that summed to 0 (P's column was dependent: orthonormalize_columns zeroed it)
  // would stay 0 for good (the next P = M Q): it is drawn anew, from Q's own bits (the same on
  // every rank and after a resume).
  void redraw_zero_columns(size_t i);

  std::vector<Tensor> tensors_;
  std::vector<Bucket> buckets_;
  std::vector<float> state_;  // errors (sum n m), then the factors Q (sum m r, in bucket order)
  std::vector<float> stage_;  // per bucket: the plain values and the P's, all-reduced together
  std::vector<int64_t> q_offsets_;  // each tensor's Q in state_
  int64_t errors_ = 0, wire_ = 0, dense_ = 0;
  uint64_t seed_;
  float* grads_;                 // the store's gradients
  std::vector<double> scratch_;  // (largest n): orthonormalize_columns' column
  std::vector<float> column_;    // (largest m): a redrawn column of Q
  std::string layout_;
};

}  // namespace dpt
