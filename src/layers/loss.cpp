#include "layers/loss.hpp"

#include "core/error.hpp"
#include "kernels/softmax_xent.hpp"

namespace dpt {

template <class T>
LossResult SoftmaxCrossEntropy<T>::compute(const T* out, const Targets& t, int64_t B, int64_t C, T grad_scale,
                                           T* dout) const {
  if (B == 0) return {};
  const auto r = kern::softmax_xent(out, t.labels, B, C, grad_scale, dout);
  return {r.loss_sum, r.correct};
}

template <class T>
std::unique_ptr<Loss<T>> make_loss(const std::string& name) {
  if (name == "cross_entropy") return std::make_unique<SoftmaxCrossEntropy<T>>();
  fail("unknown loss '{}': must be cross_entropy", name);
}

template class SoftmaxCrossEntropy<float>;
template class SoftmaxCrossEntropy<double>;
template std::unique_ptr<Loss<float>> make_loss<float>(const std::string&);
template std::unique_ptr<Loss<double>> make_loss<double>(const std::string&);

}  // namespace dpt
