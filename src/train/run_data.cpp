#include "train/run_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/sampler.hpp"

namespace dpt {

RunData::RunData(const TrainSettings& s, const Comm& comm) : s_(s), comm_(comm), train_(s.train, s.scale) {
  const int P = comm.size();
  const int64_t n = train_.size();
  train_rows_.resize(static_cast<size_t>(n));
  std::iota(train_rows_.begin(), train_rows_.end(), int64_t{0});
  if (s.val_fraction > 0) {  // a seeded random subset of the training rows, the same on every rank
    Rng rng(derive_seed(s.seed, 0x7a1d, 0));
    std::vector<int64_t> perm = random_permutation(n, rng);
    const auto n_val = static_cast<int64_t>(std::llround(s.val_fraction * static_cast<double>(n)));
    val_rows_.assign(perm.begin(), perm.begin() + n_val);
    train_rows_.assign(perm.begin() + n_val, perm.end());
    std::sort(val_rows_.begin(), val_rows_.end());
    std::sort(train_rows_.begin(), train_rows_.end());
    val_size_ = n_val;
  }
  if (!s.val.file.empty()) val_src_ = std::make_unique<SampleSource>(s.val, s.scale), val_size_ = val_src_->size();
  if (!s.test.file.empty()) test_src_ = std::make_unique<SampleSource>(s.test, s.scale);
  if (train_size() < P)
    fail("{}: '{}' has {} training samples, fewer than the {} ranks", s.train.file, s.train.features, train_size(), P);
  if (s.batch_size < P)
    fail("config: train.batch_size = {} is smaller than the {} ranks (it is the global batch, split across ranks)",
         s.batch_size, P);
  for (const SampleSource* other : {val_src_.get(), test_src_.get()})
    if (other && other->sample_shape() != train_.sample_shape())
      fail("{}: {} samples '{}' are {} but training samples are {}", other->paths().file,
           other == test_src_.get() ? "test" : "validation", other->paths().features, shape_str(other->sample_shape()),
           shape_str(train_.sample_shape()));
  comm.check_same(static_cast<uint64_t>(n), "number of training samples");
}

void RunData::check_and_load(int64_t classes) {
  const int r = comm_.rank(), P = comm_.size();
  const auto [a, b] = block_range(train_.size(), r, P);
  train_.check_labels(a, b, classes);
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
                     shape_str(train_.sample_shape()), s_.train.file,
                     files > 1 ? fmt::format(" ({} files)", files) : "",
                     val_rows_.empty() ? "" : fmt::format(" ({} carved out for validation)", val_rows_.size()),
                     val_size_ ? std::to_string(val_size_) : "none", test_src_ ? std::to_string(test_size()) : "none",
                     norm.active() ? fmt::format("; applying the stored {} normalization (offset/scale attributes)",
                                                 norm.method.empty() ? "feature" : norm.method)
                                   : "");
}

}  // namespace dpt
