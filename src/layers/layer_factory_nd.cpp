#include "layers/layer_factory_nd.hpp"

#include "core/error.hpp"
#include "layers/layernorm.hpp"
#include "layers/pool2d.hpp"
#include "layers/pool_nd.hpp"
#include "layers/resample.hpp"

namespace dpt {

namespace {
const char* const kForms[] = {"", "a signal (C, L)", "an image (C, H, W)", "a volume (C, D, H, W)"};
const char* const kData[] = {"", "(N, C, L)", "(N, C, H, W)", "(N, C, D, H, W)"};

// An input with `dims` spatial axes (1: signal, 3: volume), or one error line saying what is expected.
void need_spatial(const std::string& where, const Shape& in, size_t dims) {
  if (in.size() == dims + 1) return;
  fail("{}: expects {}, got input {} (give the data as {}, or move the layer where its input has that rank)", where,
       kForms[dims], shape_str(in), kData[dims]);
}

// 1 to 3 spatial axes after the channels.
void need_any_spatial(const std::string& where, const Shape& in) {
  if (in.size() >= 2 && in.size() <= 4) return;
  fail("{}: expects a signal (C, L), an image (C, H, W) or a volume (C, D, H, W), got input {}", where, shape_str(in));
}

template <class T>
std::unique_ptr<Layer<T>> pool(const std::string& type, const Config& c, const Shape& in, const std::string& where) {
  const size_t dims = type.back() == 'd' && type[type.size() - 2] == '1' ? 1 : 3;
  need_spatial(where, in, dims);
  const int64_t k = c.get_int("kernel_size"), p = c.get_int("padding");
  const int64_t s = c.get_int("stride") == 0 ? k : c.get_int("stride");
  if (2 * p > k) fail("{}: padding {} is more than half the kernel {}", where, p, k);
  for (size_t a = 1; a < in.size(); ++a)
    if (k > in[a] + 2 * p)
      fail("{}: kernel {} is larger than the padded input along axis {} ({} + 2 x {}; input {})", where, k, a, in[a], p,
           shape_str(in));
  const auto kind = type.rfind("max", 0) == 0 ? PoolNd<T>::Kind::Max : PoolNd<T>::Kind::Avg;
  return std::make_unique<PoolNd<T>>(in, kind, k, s, p);
}
}  // namespace

template <class T>
std::unique_ptr<Layer<T>> build_nd_layer(const std::string& type, const Config& c, const Shape& in,
                                         const std::string& where) {
  if (type == "maxpool1d" || type == "maxpool3d" || type == "avgpool1d" || type == "avgpool3d")
    return pool<T>(type, c, in, where);
  if (type == "global_avgpool") {
    need_any_spatial(where, in);
    return std::make_unique<GlobalAvgPool<T>>(in);
  }
  if (type == "upsample") {
    need_any_spatial(where, in);
    return std::make_unique<Upsample<T>>(in, c.get_int("scale_factor"));
  }
  if (type == "pad") {
    need_any_spatial(where, in);
    return std::make_unique<PadCrop<T>>(in, PadCrop<T>::Kind::Pad, c.get_int("padding"));
  }
  if (type == "crop") {
    need_any_spatial(where, in);
    const int64_t by = c.get_int("crop");
    for (size_t a = 1; a < in.size(); ++a)
      if (in[a] <= 2 * by)
        fail("{}: cropping {} from each side leaves nothing of input {} (axis {} has {})", where, by, shape_str(in), a,
             in[a]);
    return std::make_unique<PadCrop<T>>(in, PadCrop<T>::Kind::Crop, by);
  }
  if (type == "layernorm")
    return std::make_unique<LayerNorm<T>>(in, c.get_float("eps"), c.get_bool("elementwise_affine"));
  return nullptr;
}

template std::unique_ptr<Layer<float>> build_nd_layer<float>(const std::string&, const Config&, const Shape&,
                                                             const std::string&);
template std::unique_ptr<Layer<double>> build_nd_layer<double>(const std::string&, const Config&, const Shape&,
                                                               const std::string&);

}  // namespace dpt
