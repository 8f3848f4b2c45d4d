// The N-d convolution layers of the factory: conv1d, conv3d (layers/conv_nd), conv_transpose2d and
// conv_transpose3d (layers/conv_transpose). Sizes are per axis: one int for every axis, or a list with
// one per spatial axis. Every shape mistake (input of the wrong rank, a kernel larger than the padded
// input, groups not dividing the channels, output_padding >= stride) is one error line naming the
// layer, before training.
#pragma once
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/options.hpp"
#include "layers/layer.hpp"

namespace dpt {

bool is_conv_nd(const std::string& type);  // one of the four types above
// The option table of a type: transposed ones have output_padding.
OptionTable conv_nd_options(bool transposed);

template <class T>
std::unique_ptr<Layer<T>> build_conv_nd(const std::string& type, const Config& c, const Shape& in,
                                        const std::string& where);

}  // namespace dpt
