// The data of a run: the training rows (minus a carved validation split), and the validation and
// test shards each rank evaluates (contiguous blocks of those splits, read once).
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "comm/comm.hpp"
#include "input/data_settings.hpp"
#include "input/sample_rows.hpp"

namespace dpt {

class RunData {
 public:
  // Opens the files and checks shapes, counts and memory (collectively consistent: every rank throws
  // alike).
  RunData(const DataSettings& d, const RunShape& run, const Comm& comm);
  // Checks every label against the model's output shape (each rank checks one block of each split),
  // in the in-memory mode scans this rank's training block of float features for NaN/Inf (the
  // streaming reader checks each block it reads), and reads this rank's validation and test blocks.
  // An error on any rank is thrown on every rank (fail_together).
  void check_and_load(const LabelRule& rule);

  const SampleSource& train_source() const { return train_; }
  // File rows used for training, ascending (all rows when no validation is carved out).
  const std::vector<int64_t>& train_rows() const { return train_rows_; }
  int64_t train_size() const { return static_cast<int64_t>(train_rows_.size()); }
  const Shard* val() const { return val_src_ || !val_rows_.empty() ? &val_shard_ : nullptr; }
  const Shard* test() const { return test_src_ ? &test_shard_ : nullptr; }
  int64_t val_size() const { return val_size_; }
  int64_t test_size() const { return test_src_ ? test_src_->size() : 0; }
  std::string describe() const;

 private:
  // Throws when this rank's share of the node's memory cannot hold what it is about to allocate:
  // the row indices, the training block (or the streaming buffers), the validation and test blocks.
  static std::string targets_str(const Shape& s);  // "(8, 8)", or "one label"
  void check_memory(int64_t n_val) const;
  void check_and_load_mine(const LabelRule& rule);  // this rank's part of check_and_load

  const DataSettings& d_;
  const RunShape run_;
  const Comm& comm_;
  SampleSource train_;
  std::unique_ptr<SampleSource> val_src_, test_src_;
  std::vector<int64_t> train_rows_, val_rows_;  // val_rows_: carved from the training file
  Shard val_shard_, test_shard_;
  int64_t val_size_ = 0;
};

}  // namespace dpt
