// The training samples of one rank for one epoch. Rank r reads its contiguous block of the file
// once (1/P of the rows, in the file's element type); every epoch the ranks exchange rows
// (one all-to-all) so that each holds exactly its slice of the epoch's global permutation, in
// step order. Per epoch: no file I/O, one all-to-all of ~(P-1)/P of a block.
#pragma once
#include "comm/comm.hpp"
#include "input/exchange_plan.hpp"
#include "input/sample_rows.hpp"

namespace dpt {

class EpochData {
 public:
  // rows: the file rows the sampler's positions stand for (ascending; empty: all rows).
  EpochData(const SampleSource& src, const Sampler& sampler, const Comm& comm, std::vector<int64_t> rows = {});
  // The samples of `plan` (this rank's plan for `epoch`), in plan order, in the file's element
  // type (converted per batch). Valid until the next load(); buffers are reused across epochs.
  const RawRows& load(int64_t epoch, const EpochPlan& plan);
  int64_t block_bytes() const { return static_cast<int64_t>(raw_.size()); }

 private:
  const SampleSource& src_;
  const Sampler& sampler_;
  const Comm& comm_;
  std::vector<int64_t> rows_;
  int64_t row_bytes_;               // one row: features in the file's type + 4-byte target slots
  std::vector<unsigned char> raw_;  // my block: (rows, row_bytes_)
  std::vector<unsigned char> send_, recv_;
  RawRows shard_;
};

}  // namespace dpt
