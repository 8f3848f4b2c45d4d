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
}

void ParamStore::zero_grads() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

}  // namespace dpt
