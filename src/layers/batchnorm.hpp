// Batch normalization over the channel axis: input (C, H, W) normalizes each channel over
// (batch, H, W); input (D) normalizes each feature over the batch. Learned weight (gamma) and bias
// (beta); running mean and (unbiased) variance are buffers saved with the model and used in
// evaluation (PyTorch semantics: momentum 0.1, eps 1e-5).
// sync = false: each rank normalizes with the statistics of its own slice of the batch (like
// PyTorch DDP); sync = true: the statistics are summed across ranks, so P ranks compute exactly
// what 1 rank computes on the whole global batch.
#pragma once
#include "layers/layer.hpp"
#include "layers/running_stats.hpp"

namespace dpt {

template <class T>
class BatchNorm final : public Layer<T>, public RunningStats<T> {
 public:
  BatchNorm(Shape in, double momentum, double eps, bool sync);
  std::string type() const override { return "batchnorm"; }
  std::string describe() const override;
  Shape in_shape() const override { return in_; }
  Shape out_shape() const override { return in_; }
  std::vector<ParamDecl> params() const override { return {{"weight", {C_}}, {"bias", {C_}}}; }
  void bind(T* params, T* grads) override;
  RunningStats<T>* running_stats() override { return this; }
  Cost cost(int64_t /*B*/) const override { return {10.0 * static_cast<double>(numel(in_)), {}}; }
  void init(Rng& rng) override;
  // RunningStats: running_mean (C), running_var (C)
  std::vector<ParamDecl> buffers() const override { return {{"running_mean", {C_}}, {"running_var", {C_}}}; }
  void bind_buffers(T* buffers, T* sums) override;
  // running = (1 - momentum) running + momentum * (mean of the summed statistics); passes with a
  // single value per channel have no variance and are left out (as their forward left them out).
  void commit(const std::vector<int64_t>& batch_rows) override;
  bool collective() const override { return sync_; }
  // x, y: (B, C, M)
  void forward(const T* x, T* y, int64_t B) override;
  void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) override;

 private:
  // running = (1 - momentum) running + momentum * batch statistic, channel c (PyTorch's update)
  void update_running(int64_t c, double mean, double unbiased_var);
  Shape in_;
  int64_t C_, M_;
  double momentum_, eps_;
  bool sync_;
  T *gamma_ = nullptr, *beta_ = nullptr, *dgamma_ = nullptr, *dbeta_ = nullptr;
  T *running_mean_ = nullptr, *running_var_ = nullptr;
  T* stat_sums_ = nullptr;                    // (2C): deferred [sum of batch means, sum of unbiased batch variances]
  std::vector<double> mean_, invstd_, sums_;  // of the last forward
  std::vector<double> grad_sums_;             // backward: (2C) [sum dy, sum dy * xhat], reused
  double count_ = 0;
  bool batch_stats_ = false;  // the last forward normalized with batch (training) statistics
};

}  // namespace dpt
