#include "model/model.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "layers/running_stats.hpp"

namespace dpt {

Model::Model(const YAML::Node& layers, Shape input, int64_t max_batch, const std::string& origin)
    : input_(input), max_batch_(max_batch), graph_(expand_graph(layers, origin), std::move(input), max_batch, origin) {
  for (size_t i = 0; i < graph_.size(); ++i) {
    Layer<float>* l = graph_.layer(i);
    if (!l) continue;
    for (const auto& p : l->params()) store_.add(fmt::format("layers.{}.{}", i, p.name), i, p.shape);
    for (const auto& b : stat_buffers(*l)) buffers_.add(fmt::format("layers.{}.{}", i, b.name), i, b.shape);
    l->set_context(&ctx_);
  }
  store_.finalize();
  buffers_.finalize();
  for (size_t i = 0; i < graph_.size(); ++i)
    if (!graph_.spec(i).trainable) store_.freeze_layer(i);
  // Bind each layer to its slice of the flat buffers (views are in node order).
  for (size_t i = 0; i < graph_.size(); ++i)
    for (const auto& v : store_.views())
      if (v.layer == i) {
        graph_.layer(i)->bind(store_.params() + v.offset, store_.grads() + v.offset);
        break;
      }
  for (size_t i = 0; i < graph_.size(); ++i)
    for (const auto& v : buffers_.views())
      if (v.layer == i) {
        graph_.layer(i)->running_stats()->bind_buffers(buffers_.params() + v.offset, buffers_.grads() + v.offset);
        break;
      }
}

void Model::init(uint64_t seed) {
  for (size_t i = 0; i < graph_.size(); ++i) {
    Rng rng(derive_seed(seed, 0x1417, i));  // one stream per node: adding a layer does not shift others
    if (Layer<float>* l = graph_.layer(i)) l->init(rng);
  }
}

const float* Model::forward(const float* x, int64_t B) { return graph_.forward(x, B); }

void Model::backward(const float* x, const float* dout, int64_t B, const std::function<void(size_t)>& layer_done) {
  graph_.backward(x, dout, B, layer_done);
}

Shape Model::output_shape() const { return graph_.out_shape(graph_.size() - 1); }

bool Model::chain() const {
  for (size_t i = 0; i < graph_.size(); ++i)
    if (graph_.spec(i).inputs != std::vector<int>{static_cast<int>(i) - 1}) return false;
  return true;
}

std::string Model::summary() const {
  const bool graph = !chain();
  std::string s = fmt::format("input {}\n", shape_str(input_));
  for (size_t i = 0; i < graph_.size(); ++i) {
    int64_t n = 0;
    for (const auto& v : store_.views()) n += v.layer == i ? v.count : 0;
    s += fmt::format("  [{}] {:<28} -> {:<14} {:>10} params", i, graph_.describe(i), shape_str(graph_.out_shape(i)), n);
    if (!graph_.spec(i).trainable) s += " (frozen)";
    if (graph) {
      std::vector<std::string> in;
      for (int k : graph_.spec(i).inputs) in.push_back(graph_.label(k));
      s += fmt::format("  {} <- {}", graph_.label(static_cast<int>(i)), fmt::join(in, ", "));
    }
    s += "\n";
  }
  s += fmt::format("total {} parameters ({:.2f} MB as float32)", store_.size(), store_.size() * 4.0 / 1e6);
  return s;
}

std::vector<GemmShape> Model::gemms(int64_t B) const {
  std::vector<GemmShape> all;
  for (size_t i = 0; i < graph_.size(); ++i)
    if (const Layer<float>* l = graph_.layer(i))
      for (const auto& g : l->cost(B).gemms) all.push_back(g);
  return all;
}

void Model::commit_running_stats(const std::vector<int64_t>& batch_rows) {
  for (size_t i = 0; i < graph_.size(); ++i)
    if (Layer<float>* l = graph_.layer(i))
      if (RunningStats<float>* s = l->running_stats()) s->commit(batch_rows);
}

bool Model::has_collective_layers() const {
  for (size_t i = 0; i < graph_.size(); ++i)
    if (Layer<float>* l = graph_.layer(i))
      if (const RunningStats<float>* s = l->running_stats(); s && s->collective()) return true;
  return false;
}

// A chain's string is the one of the sequential models before graphs (their checkpoints still
// load); a node that does not take the previous node's output adds its inputs: "<- [4, 1]".
std::string Model::architecture() const {
  std::string s = "input " + shape_str(input_);
  for (size_t i = 0; i < graph_.size(); ++i) {
    s += " | " + graph_.describe(i) + " -> " + shape_str(graph_.out_shape(i));
    const std::vector<int>& in = graph_.spec(i).inputs;
    if (in != std::vector<int>{static_cast<int>(i) - 1}) s += fmt::format(" <- [{}]", fmt::join(in, ", "));
  }
  return s;
}

double Model::flops_per_sample() const {
  double f = 0;
  for (size_t i = 0; i < graph_.size(); ++i)
    if (const Layer<float>* l = graph_.layer(i)) f += l->cost(0).flops;
  return f;
}

int64_t Model::floats_per_sample() const { return graph_.floats_per_sample() + numel(input_); }

}  // namespace dpt
