#include "layers/init.hpp"

#include <cmath>

#include "core/error.hpp"

namespace dpt {

const std::vector<std::string>& init_names() {
  static const std::vector<std::string> names = {"torch_default", "he_uniform", "xavier_uniform"};
  return names;
}

Init parse_init(const std::string& name) {
  if (name == "torch_default") return Init::TorchDefault;
  if (name == "he_uniform") return Init::HeUniform;
  if (name == "xavier_uniform") return Init::XavierUniform;
  fail("unknown init '{}': must be one of torch_default, he_uniform, xavier_uniform", name);
}

template <class T>
void init_weights(Init init, int64_t fan_in, int64_t fan_out, T* W, int64_t nW, T* b, int64_t nb, Rng& rng) {
  const double fi = static_cast<double>(fan_in), fo = static_cast<double>(fan_out);
  double bound = 1.0 / std::sqrt(fi);
  if (init == Init::HeUniform) bound = std::sqrt(6.0 / fi);
  if (init == Init::XavierUniform) bound = std::sqrt(6.0 / (fi + fo));
  for (int64_t i = 0; i < nW; ++i) W[i] = static_cast<T>(rng.uniform(-bound, bound));
  const double bb = init == Init::TorchDefault ? 1.0 / std::sqrt(fi) : 0.0;
  for (int64_t i = 0; i < nb; ++i) b[i] = static_cast<T>(bb == 0.0 ? 0.0 : rng.uniform(-bb, bb));
}

template void init_weights<float>(Init, int64_t, int64_t, float*, int64_t, float*, int64_t, Rng&);
template void init_weights<double>(Init, int64_t, int64_t, double*, int64_t, double*, int64_t, Rng&);

}  // namespace dpt
