#include "model/model.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "layers/layer_factory.hpp"
#include "layers/running_stats.hpp"

namespace dpt {

Model::Model(const YAML::Node& layers, Shape input, int64_t max_batch, const std::string& origin)
    : input_(std::move(input)), max_batch_(max_batch) {
  if (!layers.IsSequence() || layers.size() == 0) fail("{}: model.layers must be a non-empty list of layers", origin);
  Shape shape = input_;
  int64_t widest = numel(shape);
  for (size_t i = 0; i < layers.size(); ++i) {
    layers_.push_back(make_layer<float>(layers[i], i, shape, origin));
    shape = layers_.back()->out_shape();
    widest = std::max(widest, numel(shape));
    for (const auto& p : layers_.back()->params()) store_.add(fmt::format("layers.{}.{}", i, p.name), i, p.shape);
    for (const auto& b : stat_buffers(*layers_.back()))
      buffers_.add(fmt::format("layers.{}.{}", i, b.name), i, b.shape);
    layers_.back()->set_context(&ctx_);
  }
  store_.finalize();
  buffers_.finalize();
  // Bind each layer to its slice of the flat buffers (views are in layer order).
  for (size_t i = 0; i < layers_.size(); ++i)
    for (const auto& v : store_.views())
      if (v.layer == i) {
        layers_[i]->bind(store_.params() + v.offset, store_.grads() + v.offset);
        break;
      }
  for (size_t i = 0; i < layers_.size(); ++i)
    for (const auto& v : buffers_.views())
      if (v.layer == i) {
        layers_[i]->running_stats()->bind_buffers(buffers_.params() + v.offset, buffers_.grads() + v.offset);
        break;
      }
  for (const auto& l : layers_) acts_.emplace_back(static_cast<size_t>(max_batch_ * numel(l->out_shape())));
  grad_a_.resize(static_cast<size_t>(max_batch_ * widest));
  grad_b_.resize(static_cast<size_t>(max_batch_ * widest));
}

void Model::init(uint64_t seed) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    Rng rng(derive_seed(seed, 0x1417, i));  // one stream per layer: adding a layer does not shift others
    layers_[i]->init(rng);
  }
}

const float* Model::forward(const float* x, int64_t B) {
  if (B > max_batch_) fail("internal: batch {} exceeds the model's buffers ({})", B, max_batch_);
  const float* in = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->forward(in, acts_[i].data(), B);
    in = acts_[i].data();
  }
  return in;
}

void Model::backward(const float* x, const float* dout, int64_t B, const std::function<void(size_t)>& layer_done) {
  const float* dy = dout;
  float* bufs[2] = {grad_a_.data(), grad_b_.data()};
  for (size_t k = layers_.size(); k-- > 0;) {
    const float* in = k == 0 ? x : acts_[k - 1].data();
    float* dx = k == 0 ? nullptr : bufs[k % 2];
    layers_[k]->backward(in, acts_[k].data(), dy, dx, B);
    if (layer_done) layer_done(k);
    dy = dx;
  }
}

Shape Model::output_shape() const { return layers_.back()->out_shape(); }

std::string Model::summary() const {
  std::string s = fmt::format("input {}\n", shape_str(input_));
  for (size_t i = 0; i < layers_.size(); ++i) {
    int64_t n = 0;
    for (const auto& v : store_.views()) n += v.layer == i ? v.count : 0;
    s += fmt::format("  [{}] {:<28} -> {:<14} {:>10} params\n", i, layers_[i]->describe(),
                     shape_str(layers_[i]->out_shape()), n);
  }
  s += fmt::format("total {} parameters ({:.2f} MB as float32)", store_.size(), store_.size() * 4.0 / 1e6);
  return s;
}

std::vector<GemmShape> Model::gemms(int64_t B) const {
  std::vector<GemmShape> all;
  for (const auto& l : layers_)
    for (const auto& g : l->cost(B).gemms) all.push_back(g);
  return all;
}

void Model::commit_running_stats(const std::vector<int64_t>& batch_rows) {
  for (auto& l : layers_)
    if (RunningStats<float>* s = l->running_stats()) s->commit(batch_rows);
}

bool Model::has_collective_layers() const {
  for (const auto& l : layers_)
    if (const RunningStats<float>* s = l->running_stats(); s && s->collective()) return true;
  return false;
}

std::string Model::architecture() const {
  std::string s = "input " + shape_str(input_);
  for (const auto& l : layers_) s += " | " + l->describe() + " -> " + shape_str(l->out_shape());
  return s;
}

double Model::flops_per_sample() const {
  double f = 0;
  for (const auto& l : layers_) f += l->cost(0).flops;
  return f;
}

int64_t Model::floats_per_sample() const {
  int64_t acts = 0, widest = numel(input_);
  for (const auto& l : layers_) {
    acts += numel(l->out_shape());
    widest = std::max(widest, numel(l->out_shape()));
  }
  return acts + 2 * widest + numel(input_);
}

}  // namespace dpt
