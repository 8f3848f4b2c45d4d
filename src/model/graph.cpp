#include "model/graph.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "kernels/add.hpp"
#include "layers/layer_factory.hpp"

namespace dpt {

template <class T>
Graph<T>::Graph(std::vector<NodeSpec> nodes, Shape input, int64_t max_batch, const std::string& origin)
    : specs_(std::move(nodes)), input_(std::move(input)), max_batch_(max_batch) {
  widest_ = numel(input_);
  for (size_t k = 0; k < specs_.size(); ++k) {
    const NodeSpec& s = specs_[k];
    Node n;
    if (is_merge_type(s.type)) {
      for (auto it = s.layer.begin(); it != s.layer.end(); ++it)
        if (it->first.as<std::string>() != "type")
          fail("{}: {} ({}): unknown key '{}' (a merge layer has only inputs and name)", origin, s.place, s.type,
               it->first.as<std::string>());
      std::vector<Shape> ins;
      std::vector<std::string> names;
      for (int i : s.inputs) {
        ins.push_back(i == kModelInput ? input_ : nodes_[static_cast<size_t>(i)].out);
        names.push_back(label(i));
      }
      n.merge = make_merge<T>(s.type, ins, names, fmt::format("{}: {} ({})", origin, s.place, s.type));
      n.out = n.merge->out_shape();
      n.in_ptrs.resize(s.inputs.size());
    } else {
      if (s.inputs.size() != 1) {
        std::vector<std::string> names;
        for (int i : s.inputs) names.push_back(label(i));
        fail("{}: {} ({}): takes one input, got inputs: [{}] (merge them first with add or concat)", origin, s.place,
             s.type, fmt::join(names, ", "));
      }
      const int i = s.inputs[0];
      n.layer =
          make_layer<T>(s.layer, k, i == kModelInput ? input_ : nodes_[static_cast<size_t>(i)].out, origin, s.place);
      n.out = n.layer->out_shape();
    }
    widest_ = std::max(widest_, numel(n.out));
    nodes_.push_back(std::move(n));
  }
  plan_fusion();
  for (size_t k = 0; k < nodes_.size(); ++k)
    acts_.emplace_back(fused_[k] ? 0 : static_cast<size_t>(max_batch_ * numel(nodes_[k].out)));
  plan_backward();
}

template <class T>
void Graph<T>::plan_fusion() {
  const size_t N = nodes_.size();
  fused_.assign(N, false);
  std::vector<int> consumers(N, 0);
  for (const NodeSpec& s : specs_)
    for (int i : s.inputs)
      if (i >= 0) ++consumers[static_cast<size_t>(i)];
  for (size_t k = 0; k + 1 < N; ++k) {
    const std::vector<int>& next = specs_[k + 1].inputs;
    if (specs_[k].type == "relu" && consumers[k] == 1 && next.size() == 1 && next[0] == static_cast<int>(k) &&
        nodes_[k + 1].layer && nodes_[k + 1].layer->fuse_relu_before())
      fused_[k] = true;
  }
}

template <class T>
void Graph<T>::plan_backward() {
  const size_t N = nodes_.size();
  dy_buffer_.assign(N, -1);
  to_.assign(N, {});
  std::vector<bool> busy;  // pooled buffers in use
  bool need_scratch = false, input_written = false;
  for (size_t k = N; k-- > 0;) {
    if (fused_[k]) continue;  // its consumer sends the gradient of its input
    for (int i0 : specs_[k].inputs) {
      const int i = source(i0);
      Grad g;
      if (i == kModelInput) {
        g.accumulate = input_written;
        need_scratch |= input_written;
        input_written = true;
      } else {
        int& buf = dy_buffer_[static_cast<size_t>(i)];
        if (buf >= 0) {
          g.accumulate = need_scratch = true;
        } else {  // the lowest free buffer other than node k's own
          buf = static_cast<int>(std::find(busy.begin(), busy.end(), false) - busy.begin());
          if (buf == static_cast<int>(busy.size())) busy.push_back(false);
          busy[static_cast<size_t>(buf)] = true;
        }
        g.buffer = buf;
      }
      to_[k].push_back(g);
    }
    if (dy_buffer_[k] >= 0) busy[static_cast<size_t>(dy_buffer_[k])] = false;  // node k has read it
  }
  for (size_t b = 0; b < busy.size(); ++b) grads_.emplace_back(static_cast<size_t>(max_batch_ * widest_));
  if (need_scratch) scratch_.resize(static_cast<size_t>(max_batch_ * widest_));
}

template <class T>
std::string Graph<T>::describe(size_t k) const {
  return nodes_[k].layer ? nodes_[k].layer->describe() : nodes_[k].merge->describe();
}

template <class T>
int64_t Graph<T>::floats_per_sample() const {
  int64_t acts = 0;
  for (size_t k = 0; k < nodes_.size(); ++k) acts += fused_[k] ? 0 : numel(nodes_[k].out);
  return acts + static_cast<int64_t>(grads_.size() + (scratch_.empty() ? 0 : 1)) * widest_;
}

template <class T>
const T* Graph<T>::forward(const T* x, int64_t B) {
  if (B > max_batch_) fail("internal: batch {} exceeds the model's buffers ({})", B, max_batch_);
  for (size_t k = 0; k < nodes_.size(); ++k) {
    Node& n = nodes_[k];
    const std::vector<int>& in = specs_[k].inputs;
    if (fused_[k]) continue;  // runs inside node k + 1
    if (n.layer) {
      n.layer->forward(act(source(in[0]), x), acts_[k].data(), B);
    } else {
      for (size_t i = 0; i < in.size(); ++i) n.in_ptrs[i] = act(in[i], x);
      n.merge->forward(n.in_ptrs.data(), acts_[k].data(), B);
    }
  }
  return acts_.back().data();
}

template <class T>
void Graph<T>::backward(const T* x, const T* dout, int64_t B, const std::function<void(size_t)>& done, T* dx_input) {
  for (size_t k = nodes_.size(); k-- > 0;) {
    Node& n = nodes_[k];
    const std::vector<int>& in = specs_[k].inputs;
    if (fused_[k]) {  // node k + 1 wrote the gradient of its input
      if (done) done(k);
      continue;
    }
    const T* dy = dy_buffer_[k] < 0 ? dout : grads_[static_cast<size_t>(dy_buffer_[k])].data();
    for (size_t i = 0; i < in.size(); ++i) {
      const Grad& g = to_[k][i];
      T* sum = g.buffer < 0 ? dx_input : grads_[static_cast<size_t>(g.buffer)].data();  // this input's gradient
      T* dx = sum && g.accumulate ? scratch_.data() : sum;
      if (n.layer)
        n.layer->backward(act(source(in[0]), x), acts_[k].data(), dy, dx, B);
      else if (dx)
        n.merge->backward_input(i, dy, dx, B);
      if (dx && g.accumulate)
        kern::add_to(scratch_.data(), sum,
                     B * numel(in[i] == kModelInput ? input_ : nodes_[static_cast<size_t>(in[i])].out));
    }
    if (done) done(k);
  }
}

template class Graph<float>;
template class Graph<double>;

}  // namespace dpt
