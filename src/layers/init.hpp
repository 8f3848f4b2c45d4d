// Weight initializers shared by the layers with weights (fan_in/fan_out as PyTorch counts them:
// dense: in / out features; conv: C_in*KH*KW / C_out*KH*KW).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"

namespace dpt {

enum class Init { TorchDefault, HeUniform, XavierUniform };
Init parse_init(const std::string& name);  // "torch_default", "he_uniform", "xavier_uniform"
// Those names, for the `init` choice of the layer option tables.
const std::vector<std::string>& init_names();

// torch_default: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's Linear/Conv2d reset);
// he_uniform: W ~ U(+-sqrt(6/fan_in)), b = 0; xavier_uniform: W ~ U(+-sqrt(6/(fan_in+fan_out))), b = 0.
template <class T>
void init_weights(Init init, int64_t fan_in, int64_t fan_out, T* W, int64_t nW, T* b, int64_t nb, Rng& rng);

}  // namespace dpt
