// Losses: compare the network output with the targets, return the summed loss and write the
// gradient w.r.t. the output, scaled by grad_scale (1 / global batch).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace dpt {

struct Targets {
  const int32_t* labels = nullptr;  // classification: (B), values in [0, classes)
};

struct LossResult {
  double loss_sum = 0;
  int64_t correct = 0;  // classification only
};

template <class T>
class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  // out: (B, C); dout: (B, C) overwritten when not null
  virtual LossResult compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale, T* dout) const = 0;
};

template <class T>
class SoftmaxCrossEntropy final : public Loss<T> {
 public:
  std::string name() const override { return "cross_entropy"; }
  LossResult compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale, T* dout) const override;
};

template <class T>
std::unique_ptr<Loss<T>> make_loss(const std::string& name);  // "cross_entropy"

}  // namespace dpt
