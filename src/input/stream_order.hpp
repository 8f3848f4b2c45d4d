// The sample order of streaming mode (data.memory_budget > 0), a pure function of
// (data set layout, training rows, seed, epoch, block rows K, window blocks W): never of the rank
// count, so a run resumed on another number of ranks sees the same samples at the same steps.
//
//   blocks   each file's rows are cut into blocks of K consecutive rows (the last block of a file
//            may be shorter); a block's samples are its training rows (a carved validation split
//            removes rows), ascending.
//   epoch e  the blocks are permuted (seed, e); consecutive runs of W blocks of that order form
//            windows (the shuffle buffer); the samples of window w are permuted (seed, e, w); the
//            epoch's global sequence is window 0's samples, then window 1's, ...
//   steps    as in the in-memory mode (input/sampler.hpp): step s takes global positions
//            [s*B, min(N, (s+1)*B)); rank r takes the r-th of P near-equal contiguous slices.
//   reads    the blocks of the epoch order are dealt round-robin: the i-th block of the epoch is
//            read by rank i mod P, which sends each row to the rank whose slice holds it.
// With data.shuffle false: blocks in file order, no permutation inside windows (file order).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "h5/sample_source.hpp"

namespace dpt {

struct StreamBlock {
  int64_t begin = 0, end = 0;      // file rows [begin, end) read together
  int64_t first = 0, samples = 0;  // its training samples: train_rows[first, first + samples)
};

// One rank's part in window w of an epoch.
struct WindowPlan {
  int64_t epoch = 0, window = 0;
  int64_t pos_begin = 0, pos_end = 0;      // global positions of the window
  int64_t local_begin = 0, local_end = 0;  // this rank's positions (its EpochPlan offsets)
  std::vector<int64_t> my_blocks;          // blocks this rank reads, in order
  // send_slot[i]: where row i of my blocks' rows (concatenated in order, validation rows
  // included) goes in the send buffer, or -1; the send buffer is ordered by destination rank.
  std::vector<int64_t> send_slot;
  std::vector<int64_t> send_counts, recv_counts;  // rows, per rank
  // recv_row[p - local_begin]: row of the receive buffer (ordered by source rank) holding my
  // position p.
  std::vector<int64_t> recv_row;
};

class StreamOrder {
 public:
  // files: each file's global rows (SampleSource::extents()); train_rows: training rows ascending
  // (empty: all rows). block_rows K >= 1; window_blocks W >= 1.
  StreamOrder(const std::vector<SampleSource::FileExtent>& files, std::vector<int64_t> train_rows, int64_t block_rows,
              int64_t window_blocks, int64_t global_batch, uint64_t seed, bool shuffle);

  int64_t samples() const { return n_; }
  int64_t blocks() const { return static_cast<int64_t>(blocks_.size()); }
  int64_t windows() const { return (blocks() + W_ - 1) / W_; }
  int64_t block_rows() const { return K_; }
  int64_t window_blocks() const { return W_; }
  int64_t steps_per_epoch() const { return (n_ + B_ - 1) / B_; }
  const StreamBlock& block(int64_t b) const { return blocks_[static_cast<std::size_t>(b)]; }
  // The blocks in epoch order.
  std::vector<int64_t> block_order(int64_t epoch) const;
  // Global position of the first sample of each window (windows() + 1 entries).
  std::vector<int64_t> window_starts(const std::vector<int64_t>& order) const;
  // The training rows of window w in global order.
  std::vector<int64_t> window_rows(int64_t epoch, const std::vector<int64_t>& order, int64_t w) const;
  // The whole epoch's global sequence of file rows (tests; O(N)).
  std::vector<int64_t> global_order(int64_t epoch) const;
  // What `rank` of `ranks` reads, sends and receives for window w.
  WindowPlan plan(int64_t epoch, const std::vector<int64_t>& order, const std::vector<int64_t>& starts, int64_t w,
                  int rank, int ranks) const;
  // This rank's first EpochPlan offset at global position g (g on a step boundary or inside one).
  int64_t local_pos(int64_t g, int rank, int ranks) const;

 private:
  std::vector<StreamBlock> blocks_;
  std::vector<int64_t> rows_;  // training rows ascending (empty: all)
  int64_t n_ = 0, K_, W_, B_;
  uint64_t seed_;
  bool shuffle_;
};

}  // namespace dpt
