// Losses: compare the network output with the targets, return the summed loss and write the
// gradient w.r.t. the output, scaled by grad_scale (1 / global batch).
//
// cross_entropy over dense outputs (LossOptions::positions S > 1: a per-sample output (K, ...) with
// S positions and a class map of S labels): softmax over the K channels at every position. The
// loss of a batch is the sum of -log p[label] over its non-ignored positions divided by
// (global batch x S), so the gradient's scale is known before the step and the result is the same
// on any rank count. Without ignored labels this is PyTorch's CrossEntropyLoss(reduction='mean');
// with them PyTorch divides by the non-ignored positions instead, so torch's mean = ours x
// (global batch x S) / (non-ignored positions); ours = torch's reduction='sum' / (global batch x S).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace dpt {

// The targets of a batch. The data path keeps every target in 4-byte slots (`labels`): one int32
// class label per sample for classification (S labels with a class map), or C float32 values per
// sample (their bit patterns) for regression. A regression caller may instead pass `values` as plain floats.
struct Targets {
  const int32_t* labels = nullptr;  // classification: (B) in [0, classes); regression: (B, C) float32 bits
  const float* values = nullptr;    // regression only, (B, C); when set, used instead of labels
};

struct LossResult {
  double loss_sum = 0;  // sum over the samples of the per-sample loss
  int64_t correct = 0;  // classification only: samples (positions, with a class map) predicted right
  int64_t counted = 0;  // classification only: samples (positions) scored, ignored labels excluded
  double abs_sum = 0;   // regression only: sum over the samples of the mean absolute error
};

// Options of a loss, from the config (loss_ignore_index) and the data (positions).
struct LossOptions {
  bool has_ignore = false;  // cross_entropy: labels equal to ignore_index add no loss and no gradient
  int64_t ignore_index = 0;
  int64_t positions = 1;  // cross_entropy: labels per sample (S > 1: a class map over dense outputs)
};

template <class T>
class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  // 4-byte target slots per sample for a model with C outputs (1 class label, or C values).
  virtual int64_t target_slots(int64_t C) const = 0;
  virtual bool regression() const { return false; }
  virtual LossOptions options() const { return {}; }
  // out: (B, C); dout: (B, C) overwritten when not null
  virtual LossResult compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale, T* dout) const = 0;
};

// C = K x S outputs per sample (K classes at each of S positions, channel-major), S labels.
template <class T>
class SoftmaxCrossEntropy final : public Loss<T> {
 public:
  explicit SoftmaxCrossEntropy(const LossOptions& o = {}) : o_(o) {}
  std::string name() const override { return "cross_entropy"; }
  int64_t target_slots(int64_t) const override { return o_.positions; }
  LossResult compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale, T* dout) const override;
  LossOptions options() const override { return o_; }

 private:
  LossOptions o_;
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
std::unique_ptr<Loss<T>> make_loss(const std::string& name, const LossOptions& o = {});  // "cross_entropy" | "mse"
bool is_regression_loss(const std::string& name);                                        // "mse"

}  // namespace dpt
