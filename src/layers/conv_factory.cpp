#include "layers/conv_factory.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "layers/conv_nd.hpp"
#include "layers/conv_transpose.hpp"

namespace dpt {

namespace {
constexpr double inf = INFINITY;
const std::vector<std::string>& kInits = init_names();

int rank_of(const std::string& type) { return type.back() == 'd' ? type[type.size() - 2] - '0' : 0; }

// The per-axis values of option `key` as (D, H, W) (`fill` in the axes the rank lacks): one int
// for every axis or one per axis.
std::array<int64_t, 3> axes(const Config& c, const std::string& key, int rank, int64_t fill, const std::string& where) {
  const std::vector<int64_t> v = c.get_ints(key);
  if (v.size() != 1 && v.size() != static_cast<size_t>(rank))
    fail("{}: {} = [{}] has {} values; give one int or {} (one per axis {})", where, key, fmt::join(v, ", "), v.size(),
         rank,
         rank == 3   ? "D, H, W"
         : rank == 2 ? "H, W"
                     : "L");
  std::array<int64_t, 3> out{fill, fill, fill};
  for (int a = 0; a < rank; ++a) out[static_cast<size_t>(3 - rank + a)] = v[v.size() == 1 ? 0 : static_cast<size_t>(a)];
  return out;
}

void need_rank(const std::string& type, const Shape& in, int rank, const std::string& where) {
  if (static_cast<int>(in.size()) == rank + 1) return;
  const char* what[] = {"", "a signal (C, L); give the data as (N, C, L)",
                        "an image (C, H, W); give the data as (N, C, H, W)",
                        "a volume (C, D, H, W); give the data as (N, C, D, H, W)"};
  fail("{}: input {} is not {}, or use the {} layer of the input's rank", where, shape_str(in), what[rank],
       type.find("transpose") != std::string::npos ? "conv_transpose" : "conv");
}

// The window of every axis must fit the padded input: dilation*(k - 1) + 1 <= in + 2*padding.
void check_window(const Shape& in, const std::array<int64_t, 3>& vol, const ConvNdSpec& s, const std::string& where) {
  std::array<int64_t, 3> span{}, padded{};
  bool fits = true;
  for (size_t a = 0; a < 3; ++a) {
    span[a] = s.dilation[a] * (s.kernel[a] - 1) + 1, padded[a] = vol[a] + 2 * s.padding[a];
    fits = fits && span[a] <= padded[a];
  }
  if (!fits)
    fail("{}: kernel {} with dilation {} spans {}, larger than the padded input {} (input {}, padding {})", where,
         axes_str(s.kernel, s.rank), axes_str(s.dilation, s.rank), axes_str(span, s.rank), axes_str(padded, s.rank),
         shape_str(in), axes_str(s.padding, s.rank));
}

template <class T>
std::unique_ptr<Layer<T>> build_transposed(const Config& c, const Shape& in, const ConvNdSpec& n,
                                           const std::string& where) {
  if (n.groups != 1) fail("{}: groups = {} is not supported by transposed convolutions (only 1)", where, n.groups);
  ConvTransposeSpec s{
      n.rank, n.out_channels, n.kernel, n.stride, n.padding, n.dilation, axes(c, "output_padding", n.rank, 0, where),
      n.bias, n.init};
  for (size_t a = 0; a < 3; ++a)
    if (s.output_padding[a] >= s.stride[a])
      fail("{}: output_padding {} must be smaller than stride {} on every axis", where,
           axes_str(s.output_padding, s.rank), axes_str(s.stride, s.rank));
  const std::array<int64_t, 3> out = transposed_out(volume_of(in, n.rank), s);
  if (*std::min_element(out.begin(), out.end()) < 1)
    fail("{}: input {} gives an empty output {} (kernel {}, stride {}, padding {}); reduce the padding", where,
         shape_str(in), axes_str(out, n.rank), axes_str(s.kernel, n.rank), axes_str(s.stride, n.rank),
         axes_str(s.padding, n.rank));
  return std::make_unique<ConvTranspose<T>>(in, s);
}
}  // namespace

bool is_conv_nd(const std::string& type) {
  return type == "conv1d" || type == "conv3d" || type == "conv_transpose2d" || type == "conv_transpose3d";
}

OptionTable conv_nd_options(bool transposed) {
  const std::string per_axis = " (one int for every axis, or a list with one per axis)";
  OptionTable t = {{"out_channels", OptType::Int, "", "output channels", 1, inf, false, {}, true},
                   {"kernel_size", OptType::Ints, "", "kernel size" + per_axis, 1, inf, false, {}, true},
                   {"stride", OptType::Ints, "1", "stride" + per_axis, 1, inf},
                   {"padding", OptType::Ints, "0", "zero padding on each side" + per_axis, 0, inf},
                   {"dilation", OptType::Ints, "1", "spacing of the kernel taps" + per_axis, 1, inf},
                   {"groups", OptType::Int, "1",
                    transposed ? "channel groups (only 1)"
                               : "channel groups, each convolved separately (divides in and out channels)",
                    1, inf},
                   {"bias", OptType::Bool, "true", "add a learned bias per output channel"},
                   {"init", OptType::String, "torch_default", "weight initializer", -inf, inf, false, kInits}};
  if (transposed)
    t.insert(t.begin() + 4,
             {"output_padding", OptType::Ints, "0",
              "added to one side of the output (< stride; picks the size when several fit)" + per_axis, 0, inf});
  return t;
}

template <class T>
std::unique_ptr<Layer<T>> build_conv_nd(const std::string& type, const Config& c, const Shape& in,
                                        const std::string& where) {
  const int rank = rank_of(type);
  need_rank(type, in, rank, where);
  ConvNdSpec s{rank,
               c.get_int("out_channels"),
               axes(c, "kernel_size", rank, 1, where),
               axes(c, "stride", rank, 1, where),
               axes(c, "padding", rank, 0, where),
               axes(c, "dilation", rank, 1, where),
               c.get_int("groups"),
               c.get_bool("bias"),
               parse_init(c.get_string("init"))};
  if (type.find("transpose") != std::string::npos) return build_transposed<T>(c, in, s, where);
  if (in[0] % s.groups != 0 || s.out_channels % s.groups != 0)
    fail("{}: groups = {} must divide both the input channels ({}) and out_channels ({})", where, s.groups, in[0],
         s.out_channels);
  check_window(in, volume_of(in, rank), s, where);
  return std::make_unique<ConvNd<T>>(in, s);
}

template std::unique_ptr<Layer<float>> build_conv_nd<float>(const std::string&, const Config&, const Shape&,
                                                            const std::string&);
template std::unique_ptr<Layer<double>> build_conv_nd<double>(const std::string&, const Config&, const Shape&,
                                                              const std::string&);

}  // namespace dpt
