// Layer interface. Activations are batch-major and contiguous: x: (B, in...), y: (B, out...).
// Parameters and their gradients live in the model's flat buffers; a layer only holds views.
// Backward writes dx (when it is not null) and ACCUMULATES into its parameter gradients, so
// several micro-batches can add up before one optimizer step.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "tensor/shape.hpp"

namespace dpt {

struct ParamDecl {
  std::string name;  // "weight", "bias"
  Shape shape;       // e.g. weight: (out, in)
};

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string type() const = 0;
  virtual std::string describe() const = 0;  // "dense 784 -> 512"
  virtual Shape in_shape() const = 0;        // per sample
  virtual Shape out_shape() const = 0;       // per sample
  virtual std::vector<ParamDecl> params() const { return {}; }
  // Views into the flat parameter / gradient buffers, laid out in params() order.
  virtual void bind(T* params, T* grads) {}
  // Floating-point operations of forward + backward for one sample (for GFLOP/s reports).
  virtual double flops() const { return 0; }
  virtual void init(Rng& rng) {}
  virtual void forward(const T* x, T* y, int64_t B) = 0;
  virtual void backward(const T* x, const T* y, const T* dy, T* dx, int64_t B) = 0;
};

}  // namespace dpt
