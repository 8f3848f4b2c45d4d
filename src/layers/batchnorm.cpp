#include "layers/batchnorm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "kernels/batchnorm.hpp"

namespace dpt {

template <class T>
BatchNorm<T>::BatchNorm(Shape in, double momentum, double eps, bool sync)
    : in_(std::move(in)),
      C_(in_[0]),
      M_(numel(in_) / in_[0]),
      momentum_(momentum),
      eps_(eps),
      sync_(sync),
      mean_(static_cast<size_t>(C_)),
      invstd_(static_cast<size_t>(C_)),
      sums_(static_cast<size_t>(2 * C_ + 1)) {}

template <class T>
std::string BatchNorm<T>::describe() const {
  return fmt::format("batchnorm {} channels{}", C_, sync_ ? " (sync)" : "");
}

template <class T>
void BatchNorm<T>::bind(T* params, T* grads) {
  gamma_ = params, beta_ = params + C_, dgamma_ = grads, dbeta_ = grads + C_;
}

template <class T>
void BatchNorm<T>::bind_buffers(T* buffers, T* sums) {
  running_mean_ = buffers, running_var_ = buffers + C_, stat_sums_ = sums;
}

template <class T>
void BatchNorm<T>::init(Rng& /*rng*/) {
  std::fill(gamma_, gamma_ + C_, T(1));
  std::fill(beta_, beta_ + C_, T(0));
  if (running_mean_) std::fill(running_mean_, running_mean_ + C_, T(0));
  if (running_var_) std::fill(running_var_, running_var_ + C_, T(1));
}

template <class T>
void BatchNorm<T>::forward(const T* x, T* y, int64_t B) {
  const kern::BnShape s{B, C_, M_};
  batch_stats_ = this->training();
  if (!batch_stats_) {
    for (int64_t c = 0; c < C_; ++c)
      mean_[c] = running_mean_[c], invstd_[c] = 1.0 / std::sqrt(static_cast<double>(running_var_[c]) + eps_);
    kern::bn_normalize(s, x, mean_.data(), invstd_.data(), gamma_, beta_, y);
    return;
  }
  kern::bn_sums(s, x, sums_.data());
  sums_[2 * C_] = static_cast<double>(B * M_);
  if (sync_ && this->ctx_ && this->ctx_->allreduce) this->ctx_->allreduce(sums_.data(), 2 * C_ + 1);
  count_ = sums_[2 * C_];
  if (count_ == 0) return;
  for (int64_t c = 0; c < C_; ++c) {
    mean_[c] = sums_[c] / count_;
    const double var = std::max(0.0, sums_[C_ + c] / count_ - mean_[c] * mean_[c]);
    invstd_[c] = 1.0 / std::sqrt(var + eps_);
    const double unbiased = count_ > 1 ? var * count_ / (count_ - 1) : var;
    if (this->ctx_ && this->ctx_->defer_running_stats) {
      if (!stat_sums_) fail("internal: batchnorm has no buffer sums bound");
      if (count_ > 1) stat_sums_[c] += static_cast<T>(mean_[c]), stat_sums_[C_ + c] += static_cast<T>(unbiased);
      continue;
    }
    update_running(c, mean_[c], unbiased);
  }
  if (B > 0) kern::bn_normalize(s, x, mean_.data(), invstd_.data(), gamma_, beta_, y);
}

template <class T>
void BatchNorm<T>::update_running(int64_t c, double mean, double unbiased_var) {
  running_mean_[c] = static_cast<T>((1 - momentum_) * running_mean_[c] + momentum_ * mean);
  running_var_[c] = static_cast<T>((1 - momentum_) * running_var_[c] + momentum_ * unbiased_var);
}

template <class T>
void BatchNorm<T>::commit(const std::vector<int64_t>& batch_rows) {
  const auto batches = std::count_if(batch_rows.begin(), batch_rows.end(), [this](int64_t b) { return b * M_ > 1; });
  if (batches == 0) return;
  for (int64_t c = 0; c < C_; ++c) {
    update_running(c, static_cast<double>(stat_sums_[c]) / static_cast<double>(batches),
                   static_cast<double>(stat_sums_[C_ + c]) / static_cast<double>(batches));
  }
}

template <class T>
void BatchNorm<T>::backward(const T* x, const T* /*y*/, const T* dy, T* dx, int64_t B) {
  const kern::BnShape s{B, C_, M_};
  std::vector<double>& g = grad_sums_;
  g.resize(static_cast<size_t>(2 * C_));
  kern::bn_backward_sums(s, x, dy, mean_.data(), invstd_.data(), g.data());
  for (int64_t c = 0; c < C_; ++c) dbeta_[c] += static_cast<T>(g[c]), dgamma_[c] += static_cast<T>(g[C_ + c]);
  if (!dx) return;
  if (!batch_stats_) {  // running statistics are constants: dx = gamma * invstd * dy
    std::fill(g.begin(), g.end(), 0.0);
    if (B > 0) kern::bn_backward_dx(s, x, dy, mean_.data(), invstd_.data(), gamma_, g.data(), 1.0, dx);
    return;
  }
  if (sync_ && this->ctx_ && this->ctx_->allreduce) this->ctx_->allreduce(g.data(), 2 * C_);
  if (B > 0 && count_ > 0) kern::bn_backward_dx(s, x, dy, mean_.data(), invstd_.data(), gamma_, g.data(), count_, dx);
}

template class BatchNorm<float>;
template class BatchNorm<double>;

}  // namespace dpt
