#include "model/param_store.hpp"

#include <algorithm>

namespace dpt {

int64_t ParamStore::add(std::string name, size_t layer, Shape shape) {
  const int64_t n = numel(shape);
  views_.push_back({std::move(name), layer, std::move(shape), total_, n});
  total_ += n;
  return total_ - n;
}

void ParamStore::finalize() {
  params_.assign(static_cast<size_t>(total_), 0.0f);
  grads_.assign(static_cast<size_t>(total_), 0.0f);
  make_ranges();
}

void ParamStore::freeze_layer(size_t layer) {
  for (auto& v : views_)
    if (v.layer == layer) v.frozen = true;
  make_ranges();
}

void ParamStore::make_ranges() {
  trainable_.clear(), frozen_.clear();
  for (const auto& v : views_) {
    std::vector<ParamRange>& r = v.frozen ? frozen_ : trainable_;
    if (!r.empty() && r.back().offset + r.back().count == v.offset)
      r.back().count += v.count;
    else
      r.push_back({v.offset, v.count});
  }
  if (trainable_.empty()) trainable_.push_back({0, 0});
}

void ParamStore::zero_frozen_grads() {
  for (const auto& r : frozen_) std::fill_n(grads_.begin() + r.offset, r.count, 0.0f);
}

void ParamStore::zero_grads() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

}  // namespace dpt
