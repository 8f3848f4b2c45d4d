#include "optim/optimizer.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "optim/adam.hpp"
#include "optim/sgd.hpp"

namespace dpt {

Optimizer::Optimizer(int64_t n, int slots, ParamShard shard) : n_(n), shard_(shard), slots_(slots) {
  if (n < 0) fail("optimizer: n_params = {}, must be >= 0", n);
  if (shard_.end < 0) shard_.begin = 0, shard_.end = n;
  if (shard_.begin < 0 || shard_.begin > shard_.end || shard_.end > n)
    fail("optimizer: shard [{}, {}) is not inside the {} parameters", shard_.begin, shard_.end, n);
  state_.assign(static_cast<size_t>(shard_.size() * slots), 0.0f);
}

void Optimizer::step(ParamStore& store, float lr) {
  if (store.size() != n_)
    fail("{} optimizer: the parameter store holds {} parameters but the optimizer was made for {}", name(),
         store.size(), n_);
  if (!std::isfinite(lr) || lr < 0) fail("{} optimizer: lr = {}, must be finite and >= 0", name(), lr);
  ++t_;
  for (const ParamRange& r : store.trainable_ranges()) {
    const int64_t lo = std::max(r.offset, shard_.begin), hi = std::min(r.offset + r.count, shard_.end);
    if (hi > lo) update(lo, hi - lo, store.params() + lo, store.grads() + lo, lr, t_);
  }
}

void Optimizer::check_slot(int k) const {
  if (k < 0 || k >= slots_) fail("{} optimizer: slot {} requested, it has {} slots", name(), k, slots_);
}

std::span<float> Optimizer::slot(int k) {
  check_slot(k);
  return {state_.data() + k * shard_.size(), static_cast<size_t>(shard_.size())};
}

std::span<const float> Optimizer::slot(int k) const {
  check_slot(k);
  return {state_.data() + k * shard_.size(), static_cast<size_t>(shard_.size())};
}

void Optimizer::set_steps(int64_t t) {
  if (t < 0) fail("{} optimizer: step count = {}, must be >= 0", name(), t);
  t_ = t;
}

void Optimizer::load_state(std::span<const float> state, int64_t t) {
  if (static_cast<int64_t>(state.size()) != state_size())
    fail("{} optimizer: saved state has {} values, expected {} ({} slots x {} parameters)", name(), state.size(),
         state_size(), slots_, shard_.size());
  set_steps(t);
  std::copy(state.begin(), state.end(), state_.begin());
}

namespace {

// "optimizer.<field> = <value>: must be ...", when v is outside [lo, hi) (or [lo, hi] if closed).
void check_range(const char* field, double v, double lo, double hi, bool hi_closed) {
  const bool ok = std::isfinite(v) && v >= lo && (hi_closed ? v <= hi : v < hi);
  if (!ok) fail("optimizer.{} = {}: must be in [{}, {}{}", field, v, lo, hi, hi_closed ? "]" : ")");
}

}  // namespace

void validate(const OptimizerSettings& s) {
  const bool adam = s.name == "adam" || s.name == "adamw";
  if (s.name != "sgd" && !adam) fail("optimizer.name = '{}': must be sgd, adam or adamw", s.name);
  if (!std::isfinite(s.weight_decay) || s.weight_decay < 0)
    fail("optimizer.weight_decay = {}: must be finite and >= 0", s.weight_decay);
  if (!adam) {
    check_range("momentum", s.momentum, 0, 1, true);
    if (s.nesterov && s.momentum == 0)
      fail("optimizer.nesterov = true needs optimizer.momentum > 0 (it is {})", s.momentum);
    return;
  }
  if (s.nesterov) fail("optimizer.nesterov = true: only sgd has Nesterov momentum (optimizer.name = '{}')", s.name);
  check_range("beta1", s.beta1, 0, 1, false);
  check_range("beta2", s.beta2, 0, 1, false);
  if (!std::isfinite(s.eps) || s.eps <= 0) fail("optimizer.eps = {}: must be finite and > 0", s.eps);
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& s, int64_t n_params, ParamShard shard) {
  validate(s);
  if (n_params < 0) fail("optimizer: n_params = {}, must be >= 0", n_params);
  if (s.name == "sgd")
    return std::make_unique<Sgd>(n_params, static_cast<float>(s.momentum), static_cast<float>(s.weight_decay),
                                 s.nesterov, shard);
  const AdamHyper h{s.beta1, s.beta2, s.eps, s.weight_decay};
  if (s.name == "adam") return std::make_unique<Adam>(n_params, h, shard);
  return std::make_unique<AdamW>(n_params, h, shard);
}

}  // namespace dpt
