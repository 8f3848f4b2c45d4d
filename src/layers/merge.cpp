#include "layers/merge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "kernels/add.hpp"

namespace dpt {

namespace {

template <class T>
class Add final : public Merge<T> {
 public:
  Add(Shape shape, size_t n) : shape_(std::move(shape)), n_(n) {}
  std::string type() const override { return "add"; }
  std::string describe() const override { return fmt::format("add {} x {}", n_, shape_str(shape_)); }
  Shape out_shape() const override { return shape_; }
  // y = x_0 + x_1 + ... (left to right: the same bits on every rank and thread count)
  void forward(const T* const* xs, T* y, int64_t B) override {
    const int64_t n = B * numel(shape_);
    kern::add(xs[0], xs[1], y, n);
    for (size_t i = 2; i < n_; ++i) kern::add(y, xs[i], y, n);
  }
  void backward_input(size_t, const T* dy, T* dx, int64_t B) override { std::copy(dy, dy + B * numel(shape_), dx); }

 private:
  Shape shape_;
  size_t n_;
};

template <class T>
class Concat final : public Merge<T> {
 public:
  explicit Concat(std::vector<Shape> ins) : ins_(std::move(ins)), out_(ins_[0]) {
    out_[0] = 0;
    for (const Shape& s : ins_) {
      offsets_.push_back(out_[0] * numel(s) / s[0]);
      out_[0] += s[0];
    }
  }
  std::string type() const override { return "concat"; }
  std::string describe() const override {
    std::vector<int64_t> c;
    for (const Shape& s : ins_) c.push_back(s[0]);
    return fmt::format("concat {}", fmt::join(c, " + "));
  }
  Shape out_shape() const override { return out_; }
  // y[b] = [x_0[b], x_1[b], ...]: each input's per-sample block at its channel offset
  void forward(const T* const* xs, T* y, int64_t B) override {
    const int64_t out = numel(out_);
    for (size_t i = 0; i < ins_.size(); ++i) {
      const int64_t m = numel(ins_[i]);
      for (int64_t b = 0; b < B; ++b) std::copy(xs[i] + b * m, xs[i] + (b + 1) * m, y + b * out + offsets_[i]);
    }
  }
  void backward_input(size_t i, const T* dy, T* dx, int64_t B) override {
    const int64_t out = numel(out_), m = numel(ins_[i]);
    for (int64_t b = 0; b < B; ++b) {
      const T* from = dy + b * out + offsets_[i];
      std::copy(from, from + m, dx + b * m);
    }
  }

 private:
  std::vector<Shape> ins_;
  Shape out_;
  std::vector<int64_t> offsets_;  // per input: its first element in an output sample
};

std::string inputs_str(const std::vector<Shape>& ins, const std::vector<std::string>& names) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < ins.size(); ++i) parts.push_back(fmt::format("'{}' {}", names[i], shape_str(ins[i])));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

const std::vector<std::pair<std::string, OptionTable>>& merge_types() {
  static const std::vector<std::pair<std::string, OptionTable>> types = {{"add", {}}, {"concat", {}}};
  return types;
}

bool is_merge_type(const std::string& type) { return type == "add" || type == "concat"; }

template <class T>
std::unique_ptr<Merge<T>> make_merge(const std::string& type, const std::vector<Shape>& ins,
                                     const std::vector<std::string>& names, const std::string& where) {
  if (ins.size() < 2)
    fail("{}: {} needs at least 2 inputs (inputs: [a, b]), got {}", where, type,
         ins.empty() ? "none" : inputs_str(ins, names));
  if (type == "add") {
    for (const Shape& s : ins)
      if (s != ins[0]) fail("{}: add needs inputs of one shape, got {}", where, inputs_str(ins, names));
    return std::make_unique<Add<T>>(ins[0], ins.size());
  }
  if (type != "concat") fail("internal: {}: unknown merge type '{}'", where, type);
  for (const Shape& s : ins) {
    const bool same_rest = s.size() == ins[0].size() && std::equal(s.begin() + 1, s.end(), ins[0].begin() + 1);
    if (s.empty() || !same_rest)
      fail("{}: concat joins along channels (the first axis) and needs the other axes equal, got {}", where,
           inputs_str(ins, names));
  }
  return std::make_unique<Concat<T>>(ins);
}

template std::unique_ptr<Merge<float>> make_merge<float>(const std::string&, const std::vector<Shape>&,
                                                         const std::vector<std::string>&, const std::string&);
template std::unique_ptr<Merge<double>> make_merge<double>(const std::string&, const std::vector<Shape>&,
                                                           const std::vector<std::string>&, const std::string&);

}  // namespace dpt
