#include "input/run_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "comm/fail_together.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/rng.hpp"
#include "input/sampler.hpp"

namespace dpt {

namespace {
std::string rows_text(const SampleSource& src, int64_t a, int64_t b) {
  return fmt::format("{}: '{}' ({}) rows {}..{}", src.paths().file, src.paths().features, src.paths().features_option,
                     a, b - 1);
}

// A split this rank holds as float32 (validation, test): rows x (features + target slots) x 4 bytes.
MemoryNeed split_need(const SampleSource& src, int64_t rows, std::string what, std::string hint) {
  return {std::move(what) + " as float32", mul_bytes(rows, 4 * (src.sample_numel() + src.target_slots())),
          std::move(hint)};
}
}  // namespace

RunData::RunData(const DataSettings& d, const RunShape& run, const Comm& comm)
    : d_(d), run_(run), comm_(comm), train_(d.train, d.scale) {
  const int P = comm.size();
  const int64_t n = train_.size();
  const auto n_val = static_cast<int64_t>(std::llround(d.val_fraction * static_cast<double>(n)));
  if (!d.val.file.empty()) val_src_ = std::make_unique<SampleSource>(d.val, d.scale);
  if (!d.test.file.empty()) test_src_ = std::make_unique<SampleSource>(d.test, d.scale);
  check_memory(val_src_ ? 0 : n_val);  // a validation file replaces the carved rows
  train_rows_.resize(static_cast<size_t>(n));
  std::iota(train_rows_.begin(), train_rows_.end(), int64_t{0});
  if (d.val_fraction > 0) {  // a seeded random subset of the training rows, the same on every rank
    Rng rng(derive_seed(run.seed, 0x7a1d, 0));
    std::vector<int64_t> perm = random_permutation(n, rng);
    val_rows_.assign(perm.begin(), perm.begin() + n_val);
    train_rows_.assign(perm.begin() + n_val, perm.end());
    std::sort(val_rows_.begin(), val_rows_.end());
    std::sort(train_rows_.begin(), train_rows_.end());
    val_size_ = n_val;
  }
  if (val_src_) val_size_ = val_src_->size();
  if (train_size() < P)
    fail("{}: '{}' has {} training samples, fewer than the {} ranks", d.train.file, d.train.features, train_size(), P);
  if (run.batch_size < P)
    fail("config: train.batch_size = {} is smaller than the {} ranks (it is the global batch, split across ranks)",
         run.batch_size, P);
  for (const SampleSource* other : {val_src_.get(), test_src_.get()})
    if (other && other->sample_shape() != train_.sample_shape())
      fail("{}: {} samples '{}' are {} but training samples are {}", other->paths().file,
           other == test_src_.get() ? "test" : "validation", other->paths().features, shape_str(other->sample_shape()),
           shape_str(train_.sample_shape()));
  for (const SampleSource* other : {val_src_.get(), test_src_.get()})  // the loss reads target_slots per row
    if (other && other->target_slots() != train_.target_slots())
      fail("{}: {} targets '{}' ({}) are {} per sample but training targets '{}' are {}", other->paths().file,
           other == test_src_.get() ? "test" : "validation", other->paths().labels, other->paths().labels_option,
           targets_str(other->target_shape()), d.train.labels, targets_str(train_.target_shape()));
  comm.check_same(static_cast<uint64_t>(n), "number of training samples");
  if (d.augment.any() && train_.target_shape().size() > 1)
    fail(
        "config: data.augment.crop_padding = {}, data.augment.hflip = {}: augmentation moves the features but not "
        "the {} targets per sample of '{}' ({}); turn augmentation off",
        d.augment.crop_padding, d.augment.hflip, shape_str(train_.target_shape()), d.train.labels,
        d.train.labels_option);
}

std::string RunData::targets_str(const Shape& s) { return s.empty() ? "one label" : shape_str(s); }

void RunData::check_memory(int64_t n_val) const {
  const int r = comm_.rank(), P = comm_.size();
  const int64_t n = train_.size();
  const bool streaming = d_.stream.budget > 0;
  std::vector<MemoryNeed> needs;
  needs.push_back({fmt::format("{}: the row indices of '{}' ({} rows, 8 bytes each, {} copies)", d_.train.file,
                               d_.train.features, n, streaming ? 2 : 3),
                   mul_bytes(n, streaming ? 16 : 24),
                   "every rank indexes all training rows: run fewer ranks per node"});
  if (streaming) {
    const int64_t chunk = train_.extents().front().chunk_rows;
    const StreamSizing z = size_stream(d_.stream, packed_row_bytes(train_), chunk, n, P, run_.batch_size);
    needs.push_back({fmt::format("config: data.memory_budget = {}: the streaming buffers", d_.stream.budget_text),
                     z.bytes_per_rank(P, run_.batch_size), "lower data.memory_budget"});
  } else {  // EpochData: the block, and per epoch its send, receive and step-ordered copies
    const auto [a, b] = block_range(n, r, P);
    needs.push_back(
        {rows_text(train_, a, b) + " held in memory (with their exchange buffers)",
         mul_bytes(b - a, 4 * packed_row_bytes(train_)),
         "set data.memory_budget (e.g. data.memory_budget=1GiB) to stream the training data from the file"});
  }
  if (n_val > 0) {
    const auto [c, d] = block_range(n_val, r, P);
    needs.push_back(split_need(train_, d - c,
                               fmt::format("{}: {} validation rows carved from '{}' (data.val_fraction = {})",
                                           d_.train.file, d - c, d_.train.features, d_.val_fraction),
                               "lower data.val_fraction, or run on more nodes (each rank holds 1/P of them)"));
  }
  for (const SampleSource* src : {val_src_.get(), test_src_.get()}) {
    if (!src) continue;
    const auto [c, d] = block_range(src->size(), r, P);
    needs.push_back(split_need(*src, d - c, rows_text(*src, c, d),
                               fmt::format("run on more nodes: each rank holds 1/P of the {} split",
                                           src == test_src_.get() ? "test" : "validation")));
  }
  dpt::check_memory(needs, memory_available(comm_.local_size()));
}

void RunData::check_and_load(const LabelRule& rule) {
  fail_together(
      comm_, [&] { check_and_load_mine(rule); }, "data checks");
}

void RunData::check_and_load_mine(const LabelRule& classes) {
  const int r = comm_.rank(), P = comm_.size();
  const auto [a, b] = block_range(train_.size(), r, P);
  train_.check_labels(a, b, classes);
  if (d_.stream.budget == 0) train_.check_features(a, b);
  if (val_src_) {
    const auto [c, d] = block_range(val_src_->size(), r, P);
    val_src_->check_labels(c, d, classes);
    val_shard_ = load_block(*val_src_, c, d);
  } else if (!val_rows_.empty()) {
    const auto [c, d] = block_range(static_cast<int64_t>(val_rows_.size()), r, P);
    val_shard_ = load_shard(train_, std::vector<int64_t>(val_rows_.begin() + c, val_rows_.begin() + d));
  }
  if (test_src_) {
    const auto [c, d] = block_range(test_src_->size(), r, P);
    test_src_->check_labels(c, d, classes);
    test_shard_ = load_block(*test_src_, c, d);
  }
}

std::string RunData::describe() const {
  const size_t files = train_.files().size();
  const FeatureNorm& norm = train_.norm();
  return fmt::format("train {} samples of {} from {}{}{}; validation {}; test {}{}", train_size(),
                     shape_str(train_.sample_shape()), d_.train.file,
                     files > 1 ? fmt::format(" ({} files)", files) : "",
                     val_rows_.empty() ? "" : fmt::format(" ({} carved out for validation)", val_rows_.size()),
                     val_size_ ? std::to_string(val_size_) : "none", test_src_ ? std::to_string(test_size()) : "none",
                     norm.active() ? fmt::format("; applying the stored {} normalization (offset/scale attributes)",
                                                 norm.method.empty() ? "feature" : norm.method)
                                   : "");
}

}  // namespace dpt
