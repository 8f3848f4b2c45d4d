// make_layer for conv1d, conv3d, conv_transpose2d and conv_transpose3d: per-axis options (one int or
// one per axis), shape inference, and one error line naming the layer and the shapes for each
// mistake: input of the wrong rank (saying what to give), a kernel larger than the padded input,
// groups not dividing the channels, groups on a transposed convolution, output_padding >= stride,
// lists of the wrong length or with bad values.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "core/error.hpp"
#include "layers/layer_factory.hpp"

namespace dpt {
namespace {

std::unique_ptr<Layer<double>> build(const std::string& yaml, const Shape& in) {
  return make_layer<double>(YAML::Load(yaml), 3, in, "net.yaml");
}

std::string error_of(const std::string& yaml, const Shape& in) {
  try {
    build(yaml, in);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a dpt::Error for " << yaml;
  return "";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

TEST(ConvNdFactory, BuildsWithPerAxisOptions) {
  struct Case {
    const char* yaml;
    Shape in, out, weight;
    const char* type;
  } cases[] = {
      {"{type: conv1d, out_channels: 8, kernel_size: 5, stride: 2, padding: 2}", {3, 50}, {8, 25}, {8, 3, 5}, "conv1d"},
      {"{type: conv1d, out_channels: 4, kernel_size: [3], dilation: [2], groups: 2}",
       {6, 20},
       {4, 16},
       {4, 3, 3},
       "conv1d"},
      {"{type: conv3d, out_channels: 4, kernel_size: 3, padding: 1}",
       {2, 5, 6, 7},
       {4, 5, 6, 7},
       {4, 2, 3, 3, 3},
       "conv3d"},
      {"{type: conv3d, out_channels: 2, kernel_size: [1, 3, 5], stride: [1, 2, 2], padding: [0, 1, 2]}",
       {3, 4, 9, 10},
       {2, 4, 5, 5},
       {2, 3, 1, 3, 5},
       "conv3d"},
      {"{type: conv_transpose2d, out_channels: 4, kernel_size: 2, stride: 2}",
       {8, 5, 6},
       {4, 10, 12},
       {8, 4, 2, 2},
       "conv_transpose2d"},
      {"{type: conv_transpose3d, out_channels: 3, kernel_size: 3, stride: 2, padding: 1, output_padding: [1, 0, 1]}",
       {2, 3, 4, 5},
       {3, 6, 7, 10},
       {2, 3, 3, 3, 3},
       "conv_transpose3d"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    auto layer = build(c.yaml, c.in);
    EXPECT_EQ(layer->type(), c.type);
    EXPECT_EQ(layer->in_shape(), c.in);
    EXPECT_EQ(layer->out_shape(), c.out);
    ASSERT_EQ(layer->params().size(), 2u);
    EXPECT_EQ(layer->params()[0].shape, c.weight);
    EXPECT_EQ(layer->params()[1].shape, (Shape{c.out[0]}));
  }
}

TEST(ConvNdFactory, WrongRankSaysWhatToGive) {
  std::string msg = error_of("{type: conv1d, out_channels: 4, kernel_size: 3}", {3, 8, 8});
  EXPECT_HAS(msg, "net.yaml: model.layers[3] (conv1d): input (3, 8, 8) is not a signal (C, L)");
  EXPECT_HAS(msg, "give the data as (N, C, L)");
  msg = error_of("{type: conv3d, out_channels: 4, kernel_size: 3}", {3, 8, 8});
  EXPECT_HAS(msg, "(conv3d): input (3, 8, 8) is not a volume (C, D, H, W); give the data as (N, C, D, H, W)");
  msg = error_of("{type: conv_transpose2d, out_channels: 4, kernel_size: 2}", {64});
  EXPECT_HAS(msg, "(conv_transpose2d): input (64) is not an image (C, H, W)");
  msg = error_of("{type: conv_transpose3d, out_channels: 4, kernel_size: 2}", {3, 8, 8});
  EXPECT_HAS(msg, "(conv_transpose3d): input (3, 8, 8) is not a volume");
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(ConvNdFactory, KernelLargerThanThePaddedInput) {
  std::string msg =
      error_of("{type: conv3d, out_channels: 2, kernel_size: [3, 5, 5], padding: [0, 1, 1]}", {1, 2, 9, 9});
  EXPECT_HAS(msg, "(conv3d): kernel 3x5x5 with dilation 1x1x1 spans 3x5x5, larger than the padded input 2x11x11");
  EXPECT_HAS(msg, "input (1, 2, 9, 9), padding 0x1x1");
  msg = error_of("{type: conv1d, out_channels: 2, kernel_size: 3, dilation: 4}", {1, 8});
  EXPECT_HAS(msg, "(conv1d): kernel 3 with dilation 4 spans 9, larger than the padded input 8");
}

TEST(ConvNdFactory, GroupsAndOutputPadding) {
  EXPECT_HAS(error_of("{type: conv3d, out_channels: 4, kernel_size: 1, groups: 3}", {6, 2, 2, 2}),
             "(conv3d): groups = 3 must divide both the input channels (6) and out_channels (4)");
  EXPECT_HAS(error_of("{type: conv_transpose2d, out_channels: 4, kernel_size: 2, groups: 2}", {4, 3, 3}),
             "(conv_transpose2d): groups = 2 is not supported by transposed convolutions (only 1)");
  EXPECT_HAS(error_of("{type: conv_transpose2d, out_channels: 4, kernel_size: 3, stride: 2, output_padding: [1, 2]}",
                      {4, 3, 3}),
             "(conv_transpose2d): output_padding 1x2 must be smaller than stride 2x2 on every axis");
  EXPECT_HAS(error_of("{type: conv_transpose2d, out_channels: 1, kernel_size: 1, padding: 1}", {1, 1, 5}),
             "(conv_transpose2d): input (1, 1, 5) gives an empty output -1x3");
}

TEST(ConvNdFactory, PerAxisListsAreChecked) {
  EXPECT_HAS(error_of("{type: conv3d, out_channels: 2, kernel_size: [3, 3]}", {1, 4, 4, 4}),
             "(conv3d): kernel_size = [3, 3] has 2 values; give one int or 3 (one per axis D, H, W)");
  EXPECT_HAS(error_of("{type: conv_transpose2d, out_channels: 2, kernel_size: 2, stride: [2, 2, 2]}", {1, 4, 4}),
             "stride = [2, 2, 2] has 3 values; give one int or 2 (one per axis H, W)");
  EXPECT_HAS(error_of("{type: conv3d, out_channels: 2, kernel_size: [3, 0, 3]}", {1, 4, 4, 4}),
             "kernel_size = [3, 0, 3] is out of range: must be >= 1");
  EXPECT_HAS(error_of("{type: conv3d, out_channels: 2, kernel_size: [3, x, 3]}", {1, 4, 4, 4}),
             "kernel_size must be an int or a non-empty list of ints (e.g. 3 or [3, 5]), got");
  EXPECT_HAS(error_of("{type: conv1d, out_channels: 2, kernel_size: []}", {1, 4}), "non-empty list of ints");
  EXPECT_HAS(error_of("{type: conv1d, out_channels: 2, kernel_size: 2.5}", {1, 4}), "is not a valid int or list");
}

}  // namespace
}  // namespace dpt
