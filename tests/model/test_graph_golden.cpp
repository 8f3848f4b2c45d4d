// A ResNet basic block with a projection shortcut (tests/golden/graph/resnet_block.txt, written by
// tests/tools/make_graph_golden.py) against PyTorch: the output, the input gradient and every
// parameter gradient, in double through Graph<double> and in float through Model (the names of the
// flat parameter buffer are PyTorch's tensors one for one).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "layers/running_stats.hpp"
#include "model/graph.hpp"
#include "model/model.hpp"
#include "support/golden.hpp"

namespace dpt {
namespace {

using test::cast;
using test::expect_close;
using test::Golden;

const Golden& block() {
  static const Golden g = test::read_golden(test::golden_path("graph/resnet_block.txt"));
  return g;
}

TEST(GraphGolden, ResNetBlockInDoubleMatchesPyTorch) {
  const Golden& g = block();
  Graph<double> net(expand_graph(YAML::Load(g.layer), "resnet_block.txt"), g.input, g.batch, "resnet_block.txt");
  PassContext ctx;
  ctx.training = g.training;
  struct Bound {
    std::vector<double> p, dp, stats;
    std::vector<std::string> names;
  };
  std::vector<Bound> bound(net.size());
  for (size_t k = 0; k < net.size(); ++k) {
    Layer<double>* l = net.layer(k);
    if (!l) continue;
    l->set_context(&ctx);
    for (const auto& d : l->params()) {
      const auto& t = g.at("layers." + std::to_string(k) + "." + d.name);
      ASSERT_EQ(t.shape, d.shape) << k << " " << d.name;
      bound[k].p.insert(bound[k].p.end(), t.v.begin(), t.v.end());
      bound[k].names.push_back("layers." + std::to_string(k) + "." + d.name);
    }
    bound[k].dp.assign(bound[k].p.size(), 0.0);
    l->bind(bound[k].p.data(), bound[k].dp.data());
    int64_t nb = 0;
    for (const auto& q : stat_buffers(*l)) nb += numel(q.shape);
    bound[k].stats.assign(static_cast<size_t>(nb), 1.0);
    if (RunningStats<double>* s = l->running_stats()) s->bind_buffers(bound[k].stats.data(), nullptr);
  }
  const double* y = net.forward(g.at("x").v.data(), g.batch);
  expect_close("y", std::vector<double>(y, y + g.at("y").v.size()), g.at("y"), 1e-10, 1e-6);
  std::vector<double> dx(g.at("x").v.size(), std::nan(""));
  net.backward(g.at("x").v.data(), g.at("dy").v.data(), g.batch, nullptr, dx.data());
  expect_close("dx", dx, g.at("dx"), 1e-10, 1e-6);
  for (size_t k = 0; k < net.size(); ++k) {
    size_t at = 0;
    for (const auto& name : bound[k].names) {
      const auto& want = g.at("grad_" + name);
      expect_close(name, std::vector<double>(bound[k].dp.begin() + at, bound[k].dp.begin() + at + want.v.size()), want,
                   1e-9, 1e-6);
      at += want.v.size();
    }
  }
}

TEST(GraphGolden, ResNetBlockInFloatThroughTheModelMatchesPyTorch) {
  const Golden& g = block();
  Model m(YAML::Load(g.layer), g.input, g.batch, "resnet_block.txt");
  m.context().training = true;
  ASSERT_EQ(m.store().views().size(), 9u);
  for (const auto& v : m.store().views()) {
    const auto& t = g.at(v.name);
    ASSERT_EQ(t.shape, v.shape) << v.name;
    std::copy(t.v.begin(), t.v.end(), m.store().params() + v.offset);
  }
  const auto x = cast<float>(g.at("x").v), dy = cast<float>(g.at("dy").v);
  const float* y = m.forward(x.data(), g.batch);
  expect_close("y", std::vector<float>(y, y + g.at("y").v.size()), g.at("y"), 1e-4, 1e-3);
  m.backward(x.data(), dy.data(), g.batch);
  for (const auto& v : m.store().views())
    expect_close(v.name, std::vector<float>(m.store().grads() + v.offset, m.store().grads() + v.offset + v.count),
                 g.at("grad_" + v.name), 1e-3, 1e-3);
}

}  // namespace
}  // namespace dpt
