#include "input/stream_order.hpp"

#include <algorithm>
#include <numeric>

#include "core/rng.hpp"
#include "input/sampler.hpp"

namespace dpt {

namespace {

int64_t slice_size(int64_t len, int q, int P) {
  const auto [a, b] = block_range(len, q, P);
  return b - a;
}
}  // namespace

StreamOrder::StreamOrder(const std::vector<SampleSource::FileExtent>& files, std::vector<int64_t> train_rows,
                         int64_t block_rows, int64_t window_blocks, int64_t global_batch, uint64_t seed, bool shuffle)
    : rows_(std::move(train_rows)),
      K_(block_rows),
      W_(window_blocks),
      B_(global_batch),
      seed_(seed),
      shuffle_(shuffle) {
  for (const SampleSource::FileExtent& f : files)
    for (int64_t a = f.begin; a < f.begin + f.rows; a += K_) {
      StreamBlock b{a, std::min(a + K_, f.begin + f.rows), a, 0};
      if (rows_.empty()) {
        b.samples = b.end - b.begin;
      } else {
        b.first = std::lower_bound(rows_.begin(), rows_.end(), b.begin) - rows_.begin();
        b.samples = (std::lower_bound(rows_.begin(), rows_.end(), b.end) - rows_.begin()) - b.first;
      }
      n_ += b.samples;
      blocks_.push_back(b);
    }
}

std::vector<int64_t> StreamOrder::block_order(int64_t epoch) const {
  if (!shuffle_) {
    std::vector<int64_t> o(blocks_.size());
    std::iota(o.begin(), o.end(), int64_t{0});
    return o;
  }
  Rng rng(derive_seed(seed_, 0x5b10c, static_cast<uint64_t>(epoch)));
  return random_permutation(blocks(), rng);
}

std::vector<int64_t> StreamOrder::window_starts(const std::vector<int64_t>& order) const {
  std::vector<int64_t> s{0};
  for (int64_t w = 0; w < windows(); ++w) {
    int64_t n = 0;
    for (int64_t j = w * W_; j < std::min(blocks(), (w + 1) * W_); ++j) n += block(order[j]).samples;
    s.push_back(s.back() + n);
  }
  return s;
}

namespace {
std::vector<int64_t> window_perm(uint64_t seed, bool shuffle, int64_t epoch, int64_t w, int64_t n) {
  if (!shuffle) {
    std::vector<int64_t> p(static_cast<size_t>(n));
    std::iota(p.begin(), p.end(), int64_t{0});
    return p;
  }
  Rng rng(derive_seed(derive_seed(seed, 0x5b1d, static_cast<uint64_t>(epoch)), 0x77, static_cast<uint64_t>(w)));
  return random_permutation(n, rng);
}
}  // namespace

std::vector<int64_t> StreamOrder::window_rows(int64_t epoch, const std::vector<int64_t>& order, int64_t w) const {
  std::vector<int64_t> cat;
  for (int64_t j = w * W_; j < std::min(blocks(), (w + 1) * W_); ++j) {
    const StreamBlock& b = block(order[j]);
    for (int64_t c = 0; c < b.samples; ++c) cat.push_back(rows_.empty() ? b.first + c : rows_[b.first + c]);
  }
  const auto perm = window_perm(seed_, shuffle_, epoch, w, static_cast<int64_t>(cat.size()));
  std::vector<int64_t> out(cat.size());
  for (size_t i = 0; i < cat.size(); ++i) out[i] = cat[static_cast<size_t>(perm[i])];
  return out;
}

std::vector<int64_t> StreamOrder::global_order(int64_t epoch) const {
  const auto order = block_order(epoch);
  std::vector<int64_t> all;
  for (int64_t w = 0; w < windows(); ++w) {
    const auto r = window_rows(epoch, order, w);
    all.insert(all.end(), r.begin(), r.end());
  }
  return all;
}

int64_t StreamOrder::local_pos(int64_t g, int rank, int ranks) const {
  const int64_t s = g / B_, off = g - s * B_, len = std::min(B_, n_ - s * B_);
  const auto [a, b] = block_range(std::max<int64_t>(len, 0), rank, ranks);
  return s * slice_size(B_, rank, ranks) + std::min(std::max<int64_t>(off - a, 0), b - a);
}

WindowPlan StreamOrder::plan(int64_t epoch, const std::vector<int64_t>& order, const std::vector<int64_t>& starts,
                             int64_t w, int rank, int ranks) const {
  WindowPlan p;
  p.epoch = epoch, p.window = w, p.pos_begin = starts[w], p.pos_end = starts[w + 1];
  p.local_begin = local_pos(p.pos_begin, rank, ranks), p.local_end = local_pos(p.pos_end, rank, ranks);
  const int64_t j0 = w * W_, nb = std::min(blocks(), (w + 1) * W_) - j0;
  std::vector<int64_t> cat_off{0}, reader, read_off;  // per block of the window
  int64_t mine = 0;
  for (int64_t j = 0; j < nb; ++j) {
    const StreamBlock& b = block(order[j0 + j]);
    cat_off.push_back(cat_off.back() + b.samples);
    reader.push_back((j0 + j) % ranks);
    read_off.push_back(mine);
    if (reader.back() == rank) p.my_blocks.push_back(order[j0 + j]), mine += b.end - b.begin;
  }
  const int64_t n = cat_off.back();
  const auto perm = window_perm(seed_, shuffle_, epoch, w, n);
  std::vector<std::vector<int64_t>> send(static_cast<size_t>(ranks)), recv(static_cast<size_t>(ranks));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = perm[static_cast<size_t>(i)];
    const int64_t j = std::upper_bound(cat_off.begin(), cat_off.end(), c) - cat_off.begin() - 1;
    const int64_t g = p.pos_begin + i, s = g / B_, off = g - s * B_, len = std::min(B_, n_ - s * B_);
    const int q = block_owner(off, len, ranks);
    const int src = static_cast<int>(reader[static_cast<size_t>(j)]);
    if (src == rank) {
      const StreamBlock& b = block(order[j0 + j]);
      const int64_t row = rows_.empty() ? b.first + (c - cat_off[j]) : rows_[b.first + (c - cat_off[j])];
      send[static_cast<size_t>(q)].push_back(read_off[j] + row - b.begin);
    }
    if (q == rank)
      recv[static_cast<size_t>(src)].push_back(s * slice_size(B_, q, ranks) + off - block_range(len, q, ranks).first);
  }
  p.send_slot.assign(static_cast<size_t>(mine), -1);
  p.recv_row.assign(static_cast<size_t>(p.local_end - p.local_begin), -1);
  int64_t slot = 0, row = 0;
  for (int q = 0; q < ranks; ++q) {
    p.send_counts.push_back(static_cast<int64_t>(send[q].size()));
    p.recv_counts.push_back(static_cast<int64_t>(recv[q].size()));
    for (int64_t r : send[q]) p.send_slot[static_cast<size_t>(r)] = slot++;
    for (int64_t pos : recv[q]) p.recv_row[static_cast<size_t>(pos - p.local_begin)] = row++;
  }
  return p;
}

}  // namespace dpt
