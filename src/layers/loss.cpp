#include "layers/loss.hpp"

#include <cstring>

#include "core/error.hpp"
#include "kernels/dense_xent.hpp"
#include "kernels/mse.hpp"
#include "kernels/scratch.hpp"
#include "kernels/softmax_xent.hpp"

namespace dpt {

template <class T>
LossResult SoftmaxCrossEntropy<T>::compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale,
                                           T* dout) const {
  if (B == 0) return {};
  const auto r = o_.positions == 1 && !o_.has_ignore
                     ? kern::softmax_xent(out, t.labels, B, C, grad_scale, dout)
                     : kern::softmax_xent_dense(out, t.labels, B, C / o_.positions, o_.positions, o_.has_ignore,
                                                o_.ignore_index, grad_scale, dout);
  return {r.loss_sum, r.correct, r.counted};
}

template <class T>
LossResult MeanSquaredError<T>::compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale,
                                        T* dout) const {
  if (B == 0) return {};
  const float* y = t.values;
  if (!y) {  // the float32 targets out of their 4-byte slots
    float* words = kern::caller_scratch<float>(static_cast<size_t>(B * C));
    std::memcpy(words, t.labels, static_cast<size_t>(B * C) * sizeof(float));
    y = words;
  }
  const auto r = kern::mse(out, y, B, C, grad_scale, dout);
  return {r.loss_sum, 0, 0, r.abs_sum};
}

bool is_regression_loss(const std::string& name) { return name == "mse"; }

template <class T>
std::unique_ptr<Loss<T>> make_loss(const std::string& name, const LossOptions& o) {
  if (name == "cross_entropy") return std::make_unique<SoftmaxCrossEntropy<T>>(o);
  if (name == "mse") return std::make_unique<MeanSquaredError<T>>();
  fail("unknown loss '{}': must be cross_entropy or mse", name);
}

template class SoftmaxCrossEntropy<float>;
template class SoftmaxCrossEntropy<double>;
template class MeanSquaredError<float>;
template class MeanSquaredError<double>;
template std::unique_ptr<Loss<float>> make_loss<float>(const std::string&, const LossOptions&);
template std::unique_ptr<Loss<double>> make_loss<double>(const std::string&, const LossOptions&);

}  // namespace dpt
