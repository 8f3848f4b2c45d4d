// Rank-count independent sums for train.deterministic. Each global batch is cut into S fixed
// micro-shards; rank r of P computes micro-shards [S r / P, S (r + 1) / P) one after the other.
// It hands every micro-shard but its last to keep() (a copy); its last one stays in the caller's
// arrays (the gradients, the batchnorm statistics), which the sum then replaces. The sum covers
// every micro-shard of every rank exactly (kern::fixed_point: int32 block fixed point, scales from
// the block maxima over all micro-shards), so the result depends only on the micro-shards' values,
// never on which rank computed them, on the summation order, or on how the arrays are cut into
// units below (every unit is a whole number of the fixed 256-element blocks).
//
// Each unit of the arrays goes through the same five steps:
//   max_live   the block maxima of the caller's (last micro-shard's) values, on top of the kept ones'
//   MAX        an all-reduce of the unit's block maxima (exact)
//   convert    exponents from the maxima, every micro-shard of the rank to int32, summed
//   SUM        an all-reduce of the unit's int32s (exact: integers)
//   restore    back to float, into the caller's arrays
// reduce() runs them for all the arrays as one unit with blocking collectives; start()/finish()
// run them per chunk through AsyncSum while backward computes the rest (comm.overlap).
// Cost per step: MAX of n / 256 values, SUM of n int32s (the same bytes as a float all-reduce),
// three passes over the arrays (one of them over a chunk backward has just written), and for
// each kept micro-shard a copy that also takes its block maxima.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "comm/async_sum.hpp"
#include "comm/comm.hpp"

namespace dpt {

class ExactSum {
 public:
  struct Range {
    int64_t offset, count;
  };
  // sizes: elements of each array summed; slots: micro-shards one rank sums per step (S / P);
  // terms: micro-shards per step over all ranks (S). chunks (for start): ranges of array 0 in the
  // order the caller completes them, each complete only once the ones before it are (backward's
  // buckets, last layers first, covering array 0).
  ExactSum(std::vector<int64_t> sizes, int64_t slots, int64_t terms, const std::vector<Range>& chunks = {});
  void clear() { kept_ = 0, started_ = 0, bad_ = false; }
  // Keeps a micro-shard that is not the rank's last (copied: the caller reuses its arrays);
  // arrays[k] holds sizes[k] floats.
  void keep(std::initializer_list<const float*> arrays);
  // Replaces `arrays` (the rank's last micro-shard) by the sums over the micro-shards of every
  // rank (collective). Returns false when a value is NaN or infinite on some rank (every rank
  // agrees); `arrays` are then left untouched.
  bool reduce(const Comm& comm, std::initializer_list<float*> arrays);
  // The same, overlapped: start(async, c, arrays) once chunk c of arrays[0] is final (chunks in
  // order, each once), finish() starts what is left, waits and returns as reduce(). A NaN or
  // infinity may leave some chunks summed. arrays: the same pointers on every call of a step.
  void start(AsyncSum& async, size_t chunk, std::initializer_list<float*> arrays);
  bool finish(AsyncSum& async, std::initializer_list<float*> arrays);
  bool overlapped() const { return !chunks_.empty(); }

 private:
  struct Unit {
    int64_t e0, e1, b0, b1;  // elements and blocks of the arrays laid end to end
  };
  template <class F>
  void for_parts(const Unit& u, F&& f) const;  // f(array k, first element, last element + 1), per array
  void set_live(std::initializer_list<float*> arrays);
  void start_unit(AsyncSum& async, size_t u);
  void max_live(const Unit& u);
  void convert(const Unit& u);
  void restore(const Unit& u);

  std::vector<int64_t> sizes_, offsets_, block_offsets_;  // per array: element and block offsets
  int64_t total_ = 0, blocks_ = 0, slots_, terms_, kept_ = 0;
  std::vector<Unit> chunks_;      // start()'s units: array 0's chunks, then one per further array
  size_t started_ = 0;            // chunks_ started this step
  bool bad_ = false;              // a block maximum is not finite (the same on every rank)
  std::vector<float> kept_data_;  // (slots - 1, total): the kept micro-shards
  std::vector<float*> live_;      // (arrays): the caller's arrays, the last micro-shard and the result
  std::vector<float> bmax_;       // (blocks)
  std::vector<double> bmax_all_;  // (blocks), for reduce()'s all-reduce
  std::vector<int32_t> exps_, fixed_;
};

}  // namespace dpt
