// The libtorch peer's networks. mlp and cnn are ../shared/bench/libtorch_mpi/peer.cpp's (= the
// PyTorch peer's ddp_train.py, = launch/configs/fashion_mlp.yaml and fashion_cnn.yaml); resnet is
// launch/configs/fashion_resnet.yaml layer for layer (= bench/pytorch_resnet.py's ResNet20):
//   conv3x3 1->16 (no bias), bn, relu;
//   3 stages of 3 basic blocks (16, 32, 64 channels; 28x28, 14x14, 7x7), each
//     conv3x3 (stride 2 in a stage's first block from stage 2) - bn - relu - conv3x3 - bn,
//     + shortcut (identity, or conv1x1 stride 2 + bn where the stage halves the size), relu;
//   global average pool, dense 64->10 (with bias). 272,186 parameters (bn: weight and bias).
#pragma once
#include <torch/torch.h>

namespace peer {

struct MLPImpl : torch::nn::Module {
  torch::nn::Linear fc1{784, 512}, fc2{512, 256}, fc3{256, 10};
  MLPImpl() { register_module("fc1", fc1); register_module("fc2", fc2); register_module("fc3", fc3); }
  torch::Tensor forward(torch::Tensor x) {
    x = x.view({x.size(0), 784});
    return fc3(torch::relu(fc2(torch::relu(fc1(x)))));
  }
};
TORCH_MODULE(MLP);

struct CNNImpl : torch::nn::Module {
  torch::nn::Conv2d c1{torch::nn::Conv2dOptions(1, 32, 5)}, c2{torch::nn::Conv2dOptions(32, 64, 5)};
  torch::nn::Linear fc1{64 * 4 * 4, 128}, fc2{128, 10};
  CNNImpl() { register_module("c1", c1); register_module("c2", c2); register_module("fc1", fc1); register_module("fc2", fc2); }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(c1(x)), 2);
    x = torch::max_pool2d(torch::relu(c2(x)), 2);
    return fc2(torch::relu(fc1(x.view({x.size(0), 64 * 4 * 4}))));
  }
};
TORCH_MODULE(CNN);

inline torch::nn::Conv2d conv(int64_t cin, int64_t cout, int64_t k, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(cin, cout, k).stride(stride).padding(k / 2).bias(false));
}

// BasicBlock: conv3x3-bn-relu-conv3x3-bn + shortcut (identity, or conv1x1 stride 2 + bn), relu.
struct BlockImpl : torch::nn::Module {
  torch::nn::Conv2d c1{nullptr}, c2{nullptr}, sc{nullptr};
  torch::nn::BatchNorm2d b1{nullptr}, b2{nullptr}, sb{nullptr};
  BlockImpl(int64_t cin, int64_t cout, int64_t stride) {
    c1 = register_module("c1", conv(cin, cout, 3, stride));
    b1 = register_module("b1", torch::nn::BatchNorm2d(cout));
    c2 = register_module("c2", conv(cout, cout, 3, 1));
    b2 = register_module("b2", torch::nn::BatchNorm2d(cout));
    if (stride != 1 || cin != cout) {
      sc = register_module("sc", conv(cin, cout, 1, stride));
      sb = register_module("sb", torch::nn::BatchNorm2d(cout));
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    auto y = b2(c2(torch::relu(b1(c1(x)))));
    return torch::relu(y + (sc ? sb(sc(x)) : x));
  }
};
TORCH_MODULE(Block);

struct ResNetImpl : torch::nn::Module {
  torch::nn::Conv2d stem{conv(1, 16, 3, 1)};
  torch::nn::BatchNorm2d bn{16};
  torch::nn::Sequential blocks;
  torch::nn::Linear fc{64, 10};
  ResNetImpl() {
    register_module("stem", stem);
    register_module("bn", bn);
    int64_t cin = 16;
    for (auto [cout, stride] : {std::pair<int64_t, int64_t>{16, 1}, {32, 2}, {64, 2}})
      for (int i = 0; i < 3; ++i) {
        blocks->push_back(Block(cin, cout, i == 0 ? stride : 1));
        cin = cout;
      }
    register_module("blocks", blocks);
    register_module("fc", fc);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = blocks->forward(torch::relu(bn(stem(x))));
    return fc(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }
};
TORCH_MODULE(ResNet);

}  // namespace peer
