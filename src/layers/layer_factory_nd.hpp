// The layer factory's builders of the layers over signals, images and volumes of any rank (N-d
// pooling, global_avgpool, upsample, pad, crop, layernorm); internal to layer_factory.cpp.
#pragma once
#include <memory>
#include <string>

#include "core/config.hpp"
#include "layers/layer.hpp"

namespace dpt {

// The layer of `type` from its checked options c and per-sample input `in`, or nullptr when
// `type` is not one of these. Shape errors name `where` (the entry and its type) and the shapes.
template <class T>
std::unique_ptr<Layer<T>> build_nd_layer(const std::string& type, const Config& c, const Shape& in,
                                         const std::string& where);

}  // namespace dpt
