// Layer graphs: the config syntax (names, inputs, blocks) and its errors, and Graph<double>'s
// backward against central differences for merges, fan-out and a two-block residual network.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "layers/grad_check.hpp"
#include "layers/running_stats.hpp"
#include "model/graph.hpp"
#include "model/model.hpp"

namespace dpt {
namespace {

using test::random_doubles;

std::vector<NodeSpec> expand(const std::string& yaml) { return expand_graph(YAML::Load(yaml), "net.yaml"); }

std::string error_of(const std::string& yaml, Shape in = {3}) {
  try {
    Model m(YAML::Load(yaml), std::move(in), 2, "net.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GraphSpec, AListIsAChainAndNamesAndInputsWireAGraph) {
  auto n = expand("[{type: dense, units: 4}, {type: relu}]");
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].inputs, std::vector<int>{kModelInput});
  EXPECT_EQ(n[1].inputs, std::vector<int>{0});
  EXPECT_TRUE(n[1].chained);
  n = expand("[{type: dense, units: 3, name: a}, {type: relu, name: b}, {type: add, inputs: [b, a, input]}]");
  EXPECT_EQ(n[2].inputs, (std::vector<int>{1, 0, kModelInput}));
  EXPECT_FALSE(n[2].chained);
  EXPECT_EQ(n[0].name, "a");
  EXPECT_FALSE(n[0].layer["name"]);  // the layer's own options only
  EXPECT_EQ(n[0].layer["units"].as<int>(), 3);
}

TEST(GraphSpec, BlocksRepeatTheirBodyChainedWithLocalNames) {
  const auto n = expand(
      "[{type: dense, units: 3, name: stem},"
      " {type: block, name: res, repeat: 2, layers: [{type: dense, units: 3, name: f}, {type: add, inputs: [f, "
      "input]}]},"
      " {type: add, inputs: [res, stem]}]");
  ASSERT_EQ(n.size(), 6u);
  EXPECT_EQ(n[1].name, "res.0.f");
  EXPECT_EQ(n[3].name, "res.1.f");
  EXPECT_EQ(n[1].inputs, std::vector<int>{0});  // repeat 1 takes the block's input
  EXPECT_EQ(n[2].inputs, (std::vector<int>{1, 0}));
  EXPECT_EQ(n[3].inputs, std::vector<int>{2});  // repeat 2 takes repeat 1's output
  EXPECT_EQ(n[4].inputs, (std::vector<int>{3, 2}));
  EXPECT_EQ(n[5].inputs, (std::vector<int>{4, 0}));  // the block's name is its output
  EXPECT_NE(n[3].place.find("model.layers[1].layers[0] (block 'res', repeat 2 of 2)"), std::string::npos) << n[3].place;
}

TEST(GraphSpec, TrainableFalseFreezesTheLayersTensors) {
  const auto n = expand("[{type: dense, units: 3, trainable: false}, {type: relu}, {type: dense, units: 2, trainable: true}]");
  EXPECT_FALSE(n[0].trainable);
  EXPECT_TRUE(n[1].trainable);
  EXPECT_TRUE(n[2].trainable);
  EXPECT_FALSE(n[0].layer["trainable"]);  // not one of the layer's own options
  Model m(YAML::Load("[{type: dense, units: 3}, {type: relu}, {type: dense, units: 2, trainable: false}]"), {4}, 2,
          "net.yaml");
  ASSERT_EQ(m.store().frozen_ranges().size(), 1u);
  EXPECT_EQ(m.store().frozen_ranges()[0].offset, 4 * 3 + 3);  // layers.2.weight and .bias
  EXPECT_EQ(m.store().frozen_ranges()[0].count, 2 * 3 + 2);
  EXPECT_NE(m.summary().find("(frozen)"), std::string::npos) << m.summary();
  EXPECT_NE(error_of("[{type: dense, units: 3, trainable: perhaps}]").find(
                "model.layers[0]: trainable must be true or false, got 'perhaps'"),
            std::string::npos);
}

// `trainable: false` on a block freezes every layer of its body, in every repeat (a stage of a
// ResNet for fine-tuning), and nothing outside it.
TEST(GraphSpec, TrainableFalseOnABlockFreezesItsBody) {
  const auto n = expand(
      "[{type: dense, units: 3}, {type: block, trainable: false, repeat: 2, layers: [{type: dense, units: 3}, "
      "{type: block, layers: [{type: relu}]}]}, {type: dense, units: 2}]");
  ASSERT_EQ(n.size(), 6u);
  const bool want[] = {true, false, false, false, false, true};
  for (size_t k = 0; k < n.size(); ++k) EXPECT_EQ(n[k].trainable, want[k]) << k;
  EXPECT_NE(error_of("[{type: block, trainable: 3, layers: [{type: relu}]}]").find(
                "model.layers[0] (block): trainable must be true or false, got '3'"),
            std::string::npos);
}

TEST(GraphSpec, ErrorsNameTheLayerAndTheProblem) {
  const struct {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"[{type: relu, inputs: [nope]}]", "model.layers[0]: inputs name an unknown layer 'nope'"},
      {"[{type: relu, inputs: [later]}, {type: relu, name: later}]", "inputs name 'later', which is not an earlier"},
      {"[{type: relu, name: me, inputs: [me]}]", "inputs name the layer itself ('me'): a graph has no cycles"},
      {"[{type: relu, name: a}, {type: relu, name: a}]",
       "model.layers[1]: name 'a' is already used by model.layers[0]"},
      {"[{type: relu, name: input}]", "name 'input' is reserved"},
      {"[{type: relu, name: a}, {type: relu, inputs: [input]}]",
       "model.layers[0] (relu 'a'): its output is never used"},
      {"[{type: block, repeat: 0, layers: [{type: relu}]}]", "model.layers[0] (block): repeat must be an integer in"},
      {"[{type: block, layers: []}]", "model.layers[0].layers must be a non-empty list"},
      {"[{type: block, layer: [{type: relu}]}]", "unknown key 'layer' (a block has: name, repeat, layers, inputs, trainable)"},
      {"[{type: relu, inputs: {a: 1}}]", "inputs must be a non-empty list of layer names"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_NE(error_of(c.yaml).find(c.want), std::string::npos) << error_of(c.yaml);
  }
}

TEST(Graph, MergeShapeErrorsNameTheInputsAndTheirShapes) {
  EXPECT_NE(error_of("[{type: dense, units: 4, name: a}, {type: add, inputs: [a, input]}]")
                .find("model.layers[1] (add): add needs inputs of one shape, got 'a' (4), 'input' (3)"),
            std::string::npos)
      << error_of("[{type: dense, units: 4, name: a}, {type: add, inputs: [a, input]}]");
  const std::string concat = error_of(
      "[{type: conv2d, out_channels: 2, kernel_size: 3, name: a}, {type: concat, inputs: [a, input]}]", {1, 5, 5});
  EXPECT_NE(concat.find("concat joins along channels (the first axis) and needs the other axes equal, got 'a' (2, 3, "
                        "3), 'input' (1, 5, 5)"),
            std::string::npos)
      << concat;
  EXPECT_NE(error_of("[{type: relu, name: a}, {type: dense, units: 2, inputs: [a, input]}]")
                .find("model.layers[1] (dense): takes one input, got inputs: [a, input]"),
            std::string::npos);
  EXPECT_NE(error_of("[{type: relu, name: a}, {type: add, inputs: [a]}]").find("add needs at least 2 inputs"),
            std::string::npos);
  EXPECT_NE(error_of("[{type: relu, name: a}, {type: add, inputs: [a, input], axis: 1}]").find("unknown key 'axis'"),
            std::string::npos);
  EXPECT_NE(error_of("[{type: block, layers: [{type: dense, units: 0}]}]")
                .find("model.layers[0].layers[0] (block, repeat 1 of 1) (dense)"),
            std::string::npos)
      << error_of("[{type: block, layers: [{type: dense, units: 0}]}]");
}

// A graph in double with every layer bound to its own random parameters, in training mode.
struct Net {
  Graph<double> g;
  std::vector<test::Bound<double>> bound;
  PassContext ctx;
  Net(const std::string& yaml, Shape in, int64_t B) : g(expand(yaml), std::move(in), B, "net.yaml") {
    ctx.training = true;
    bound.reserve(g.size());
    for (size_t k = 0; k < g.size(); ++k)
      if (Layer<double>* l = g.layer(k)) {
        l->set_context(&ctx);
        bound.push_back(test::bind_random(*l, 100 + k, -0.5, 0.5));
      }
  }
};

// dL/dparams of L = sum(out * R) against central differences, for every parameter (the input
// gradients of every node are part of it: they carry the loss back to the first layer), and
// done(k) called for every node in reverse order.
void check_graph(const std::string& yaml, const Shape& in, int64_t B) {
  Net net(yaml, in, B);
  auto x = random_doubles(static_cast<size_t>(B * numel(in)), 1);
  const auto R = random_doubles(static_cast<size_t>(B * numel(net.g.out_shape(net.g.size() - 1))), 2);
  const auto loss = [&] {
    const double* y = net.g.forward(x.data(), B);
    double L = 0;
    for (size_t i = 0; i < R.size(); ++i) L += y[i] * R[i];
    return L;
  };
  loss();
  std::vector<size_t> order;
  net.g.backward(x.data(), R.data(), B, [&](size_t k) { order.push_back(k); });
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], net.g.size() - 1 - i);
  for (auto& b : net.bound)
    if (!b.params.empty()) test::expect_gradient_matches("dparams", b.grads, b.params, loss);
}

TEST(GraphGradients, AddWithFanOutMatchesFiniteDifferences) {
  // a feeds three consumers (b, the add, the concat): its gradient is the sum of three parts.
  check_graph(
      "[{type: dense, units: 4, name: a}, {type: tanh, name: b}, {type: add, inputs: [a, b, a], name: s},"
      " {type: dense, units: 4, inputs: [s], name: c}, {type: concat, inputs: [c, a]}, {type: dense, units: 3}]",
      {3}, 2);
}

TEST(GraphGradients, ConcatOfImagesAlongChannelsMatchesFiniteDifferences) {
  check_graph(
      "[{type: conv2d, out_channels: 2, kernel_size: 3, padding: 1, name: a},"
      " {type: conv2d, out_channels: 3, kernel_size: 1, inputs: [input], name: b},"
      " {type: concat, inputs: [a, b, input]}, {type: conv2d, out_channels: 2, kernel_size: 3}, {type: flatten},"
      " {type: dense, units: 2}]",
      {1, 4, 4}, 2);
}

TEST(GraphGradients, TwoBlockResidualNetMatchesFiniteDifferences) {
  check_graph(
      "[{type: conv2d, out_channels: 3, kernel_size: 3, padding: 1, bias: false}, {type: batchnorm},"
      " {type: relu},"
      " {type: block, repeat: 2, layers: ["
      "   {type: conv2d, out_channels: 3, kernel_size: 3, padding: 1, bias: false}, {type: batchnorm}, {type: relu},"
      "   {type: conv2d, out_channels: 3, kernel_size: 3, padding: 1, bias: false}, {type: batchnorm, name: r},"
      "   {type: add, inputs: [r, input]}, {type: tanh}]},"
      " {type: avgpool2d, kernel_size: 2}, {type: flatten}, {type: dense, units: 3}]",
      {2, 4, 4}, 3);
}

}  // namespace
}  // namespace dpt
