// Merge layers: the nodes of a layer graph with several inputs (model/graph.hpp). Same batch-major
// layout as Layer; every input i is (B, in_i...). They hold no parameters.
//   add     y = x_0 + x_1 + ... (same shapes, summed in input order): residual connections
//   concat  y = [x_0, x_1, ...] along the channel axis (the first per-sample axis; the others equal)
// Backward gives each input its gradient on its own (backward_input), so that the graph can write
// it straight into that input's gradient buffer or add it to what other consumers put there.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/options.hpp"
#include "tensor/shape.hpp"

namespace dpt {

template <class T>
class Merge {
 public:
  virtual ~Merge() = default;
  virtual std::string type() const = 0;
  virtual std::string describe() const = 0;  // "add 2 x (16, 28, 28)"
  virtual Shape out_shape() const = 0;       // per sample
  // xs[i]: (B, in_i...) -> y: (B, out...)
  virtual void forward(const T* const* xs, T* y, int64_t B) = 0;
  // dy: (B, out...) -> dx: (B, in_i...), the gradient of input i (written, not accumulated)
  virtual void backward_input(size_t i, const T* dy, T* dx, int64_t B) = 0;
};

// The merge layer types and their keys (besides type, name and inputs): for validation and the docs.
const std::vector<std::pair<std::string, OptionTable>>& merge_types();
bool is_merge_type(const std::string& type);

// ins: the per-sample shapes of the inputs, in order; names: the inputs' names (for errors);
// where: the layer's place in the config ("net.yaml: model.layers[7] (add)").
template <class T>
std::unique_ptr<Merge<T>> make_merge(const std::string& type, const std::vector<Shape>& ins,
                                     const std::vector<std::string>& names, const std::string& where);

}  // namespace dpt
