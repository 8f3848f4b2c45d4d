// Losses: compare the network output with the targets, return the summed loss and write the
// gradient w.r.t. the output, scaled by grad_scale (1 / global batch).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace dpt {

// The targets of a batch. The data path keeps every target in 4-byte slots (`labels`): one int32
// class label per sample for classification, or C float32 values per sample (their bit patterns)
// for regression. A regression caller may instead pass `values` as plain floats.
struct Targets {
  const int32_t* labels = nullptr;  // classification: (B) in [0, classes); regression: (B, C) float32 bits
  const float* values = nullptr;    // regression only, (B, C); when set, used instead of labels
};

struct LossResult {
  double loss_sum = 0;  // sum over the samples of the per-sample loss
  int64_t correct = 0;  // classification only
  double abs_sum = 0;   // regression only: sum over the samples of the mean absolute error
};

template <class T>
class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  // 4-byte target slots per sample for a model with C outputs (1 class label, or C values).
  virtual int64_t target_slots(int64_t C) const = 0;
  virtual bool regression() const { return false; }
  // out: (B, C); dout: (B, C) overwritten when not null
  virtual LossResult compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale, T* dout) const = 0;
};

template <class T>
class SoftmaxCrossEntropy final : public Loss<T> {
 public:
  std::string name() const override { return "cross_entropy"; }
  int64_t target_slots(int64_t) const override { return 1; }
  LossResult compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale, T* dout) const override;
};

// torch.nn.MSELoss(reduction='mean'): the per-sample loss is mean_j (out_j - target_j)^2, so the
// mean over samples is the mean over all B x C elements; dout = 2 (out - target) / C * grad_scale.
template <class T>
class MeanSquaredError final : public Loss<T> {
 public:
  std::string name() const override { return "mse"; }
  int64_t target_slots(int64_t C) const override { return C; }
  bool regression() const override { return true; }
  LossResult compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale, T* dout) const override;
};

template <class T>
std::unique_ptr<Loss<T>> make_loss(const std::string& name);  // "cross_entropy" | "mse"
bool is_regression_loss(const std::string& name);             // "mse"

}  // namespace dpt
