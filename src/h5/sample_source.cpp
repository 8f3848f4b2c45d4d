#include "h5/sample_source.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "h5/arrays.hpp"
#include "h5/feature_norm_io.hpp"
#include "h5/file.hpp"
#include "h5/file_list.hpp"
#include "h5/finite_scan.hpp"
#include "h5/sample_layout.hpp"

namespace dpt {

namespace {
H5T_class_t class_of(hid_t dset) {
  h5::Handle t(H5Dget_type(dset), H5Tclose);
  return H5Tget_class(t.get());
}

const char* class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    default:
      return "non-numeric";
  }
}

int64_t chunk_rows(hid_t dset) {
  h5::Handle plist(H5Dget_create_plist(dset), H5Pclose);
  if (H5Pget_layout(plist.get()) != H5D_CHUNKED) return 0;
  hsize_t c[H5S_MAX_RANK];
  H5Pget_chunk(plist.get(), H5S_MAX_RANK, c);
  return static_cast<int64_t>(c[0]);
}

h5::Handle row_space(const std::vector<int64_t>& dims, int64_t first, int64_t count, hid_t* mem) {
  h5::Handle space(
      H5Screate_simple(static_cast<int>(dims.size()), std::vector<hsize_t>(dims.begin(), dims.end()).data(), nullptr),
      H5Sclose);
  std::vector<hsize_t> start(dims.size(), 0), cnt(dims.begin(), dims.end());
  start[0] = static_cast<hsize_t>(first);
  cnt[0] = static_cast<hsize_t>(count);
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
  *mem = H5Screate_simple(static_cast<int>(dims.size()), cnt.data(), nullptr);
  return space;
}

// The open datasets of one file.
struct Opened {
  h5::Handle file, feat, lab;
};

Opened open_file(const SplitPaths& p, const std::string& path) {
  Opened o;
  o.file = h5::open_read(path);
  o.feat = h5::open_dataset(o.file.get(), path, p.features, p.features_option);
  o.lab = h5::open_dataset(o.file.get(), path, p.labels, p.labels_option);
  return o;
}

// Checks one file's datasets; returns the features' dims.
std::vector<int64_t> check_file(const SplitPaths& p, const std::string& path, const Opened& o) {
  const auto fd = h5::dims(o.feat.get()), ld = h5::dims(o.lab.get());
  if (fd.size() < 2 || fd.size() > 5)
    fail(
        "{}: dataset '{}' ({}) has shape {}; features must be (N, D), (N, H, W), (N, C, L), (N, C, H, W) or (N, C, D, "
        "H, W)",
        path, p.features, p.features_option, shape_str(fd));
  const auto fc = class_of(o.feat.get()), lc = class_of(o.lab.get());
  if (fc != H5T_INTEGER && fc != H5T_FLOAT)
    fail("{}: dataset '{}' ({}) has {} elements; features must be integers or floats", path, p.features,
         p.features_option, class_name(fc));
  if (p.float_targets && lc != H5T_INTEGER && lc != H5T_FLOAT)
    fail("{}: dataset '{}' ({}) has {} elements; regression targets (loss mse) must be floats or integers", path,
         p.labels, p.labels_option, class_name(lc));
  if (!p.float_targets && lc != H5T_INTEGER)
    fail(
        "{}: dataset '{}' ({}) has {} elements; class labels must be integers (loss cross_entropy; for "
        "regression targets set loss: mse)",
        path, p.labels, p.labels_option, class_name(lc));
  check_label_dims(p, path, p.float_targets ? "regression targets" : "class labels", ld);
  if (ld[0] != fd[0])
    fail("{}: '{}' has {} samples but '{}' has {} labels ({} / {})", path, p.features, fd[0], p.labels, ld[0],
         p.features_option, p.labels_option);
  return fd;
}

std::string type_text(H5T_class_t cls, bool is_signed, size_t size) {
  return fmt::format("{}{}", cls == H5T_FLOAT ? "float" : is_signed ? "int" : "uint", 8 * size);
}
}  // namespace

struct SampleSource::Handles {
  struct Part {
    std::string path;
    int64_t begin = 0, n = 0, window = 1024;  // global rows [begin, begin + n); rows per read window
    int64_t chunk = 0;                        // the features' chunk rows (0: not chunked)
  };
  std::vector<Part> parts;
  size_t current = SIZE_MAX;  // the part whose file is open
  Opened open;
  h5::Handle mem_type;  // the features' element type in native byte order
  H5T_class_t cls = H5T_FLOAT;
  bool is_signed = true;

  const Opened& at(const SplitPaths& p, size_t part) {
    if (current != part) {
      open = Opened{};  // close the previous file first: one open file at a time
      open = open_file(p, parts[part].path);
      current = part;
    }
    return open;
  }
};

SampleSource::~SampleSource() = default;
SampleSource::SampleSource(SampleSource&&) noexcept = default;

SampleSource::SampleSource(const SplitPaths& p, float scale)
    : paths_(p), scale_(scale), h_(std::make_unique<Handles>()) {
  files_ = expand_files(p.files.empty() ? std::vector<std::string>{p.file} : p.files);
  for (const auto& f : files_) add_file(f);
  if (norm_.active()) {
    offset_.assign(norm_.offset.begin(), norm_.offset.end());
    for (double s : norm_.scale) mul_.push_back(static_cast<float>(s * scale_));
  }
}

void SampleSource::add_file(const std::string& path) {
  const SplitPaths& p = paths_;
  Opened o = open_file(p, path);
  const auto fd = check_file(p, path, o);
  const std::string layout = h5::has_attr(o.feat.get(), "layout")
                                 ? h5::read_string_attr(o.feat.get(), "layout", path + ": '" + p.features + "'")
                                 : std::string();
  const Shape shape = sample_view(p, path, fd, layout);
  h5::Handle ftype(H5Dget_type(o.feat.get()), H5Tclose);
  h5::Handle mem(H5Tget_native_type(ftype.get(), H5T_DIR_ASCEND), H5Tclose);
  const H5T_class_t cls = class_of(o.feat.get());
  const bool is_signed = cls == H5T_FLOAT || H5Tget_sign(ftype.get()) == H5T_SGN_2;
  const size_t size = H5Tget_size(mem.get());
  FeatureNorm norm = read_feature_norm(o.feat.get(), path, p.features, numel(shape));
  const auto ld = h5::dims(o.lab.get());
  const Shape target(ld.begin() + 1, ld.end());
  if (!h_->parts.empty() && target != target_shape_)
    fail("{}: '{}' ({}) has targets of shape {} per sample but {} has {}; all files of a data set must agree", path,
         p.labels, p.labels_option, shape_str(target), files_[0], shape_str(target_shape_));
  target_shape_ = target, target_slots_ = numel(target);
  if (h_->parts.empty()) {
    if (size != 1 && size != 2 && size != 4 && size != 8)
      fail("{}: dataset '{}' ({}) has {}-byte elements; supported: 1, 2, 4 or 8 bytes", path, p.features,
           p.features_option, size);
    sample_shape_ = shape, elem_size_ = size, h_->cls = cls, h_->is_signed = is_signed;
    h_->mem_type = std::move(mem), norm_ = std::move(norm);
  } else if (shape != sample_shape_ || cls != h_->cls || is_signed != h_->is_signed || size != elem_size_) {
    fail(
        "{}: '{}' ({}) holds {} samples of shape {}, but {} holds {} samples of shape {}; all files of a data "
        "set must agree",
        path, p.features, p.features_option, type_text(cls, is_signed, size), shape_str(shape), files_[0],
        element_type(), shape_str(sample_shape_));
  } else if (!(norm == norm_)) {
    fail(
        "{}: '{}' has different stored normalization (attributes normalize/offset/scale) than {}; all files "
        "of a data set must agree",
        path, p.features, files_[0]);
  }
  Handles::Part part{path, n_, fd[0], 1024};
  if (const int64_t c = chunk_rows(o.feat.get()); c > 0) part.window = std::max<int64_t>(c, 64), part.chunk = c;
  h_->parts.push_back(part);
  n_ += fd[0];
  h_->open = std::move(o), h_->current = h_->parts.size() - 1;
}

std::vector<SampleSource::FileExtent> SampleSource::extents() const {
  std::vector<FileExtent> v;
  for (const auto& q : h_->parts) v.push_back({q.begin, q.n, q.chunk});
  return v;
}

std::string SampleSource::element_type() const { return type_text(h_->cls, h_->is_signed, elem_size_); }

size_t SampleSource::part_of(int64_t row) const {
  const auto& parts = h_->parts;
  const auto it =
      std::upper_bound(parts.begin(), parts.end(), row, [](int64_t r, const Handles::Part& q) { return r < q.begin; });
  return static_cast<size_t>(it - parts.begin()) - 1;  // the last file starting at or before `row`
}

const std::string& SampleSource::part_path(size_t part) const { return h_->parts[part].path; }
int64_t SampleSource::part_begin(size_t part) const { return h_->parts[part].begin; }

int64_t SampleSource::window_end(int64_t row) const {
  const auto& q = h_->parts[part_of(row)];
  return q.begin + std::min(q.n, ((row - q.begin) / q.window + 1) * q.window);
}

namespace {
template <class S>
void convert(const unsigned char* raw, int64_t n, float scale, const float* off, const float* mul, float* x) {
  S v[64];
  for (int64_t i = 0; i < n; i += 64) {  // memcpy keeps unaligned reads legal
    const int64_t m = std::min<int64_t>(64, n - i);
    std::memcpy(v, raw + i * static_cast<int64_t>(sizeof(S)), static_cast<size_t>(m) * sizeof(S));
    if (off)
      for (int64_t k = 0; k < m; ++k) x[i + k] = (static_cast<float>(v[k]) - off[i + k]) * mul[i + k];
    else
      for (int64_t k = 0; k < m; ++k) x[i + k] = static_cast<float>(v[k]) * scale;
  }
}
}  // namespace

void SampleSource::convert_row(const unsigned char* raw, float* x) const {
  const int64_t D = sample_numel();
  const bool f = h_->cls == H5T_FLOAT, s = h_->is_signed;
  const float* o = offset_.empty() ? nullptr : offset_.data();
  const float* m = mul_.data();
  const float c = scale_;
  switch (elem_size_) {
    case 1:
      return s ? convert<int8_t>(raw, D, c, o, m, x) : convert<uint8_t>(raw, D, c, o, m, x);
    case 2:
      return s ? convert<int16_t>(raw, D, c, o, m, x) : convert<uint16_t>(raw, D, c, o, m, x);
    case 4:
      return f   ? convert<float>(raw, D, c, o, m, x)
             : s ? convert<int32_t>(raw, D, c, o, m, x)
                 : convert<uint32_t>(raw, D, c, o, m, x);
    default:
      return f   ? convert<double>(raw, D, c, o, m, x)
             : s ? convert<int64_t>(raw, D, c, o, m, x)
                 : convert<uint64_t>(raw, D, c, o, m, x);
  }
}

void SampleSource::read_window(size_t part, int64_t first, int64_t count, unsigned char* raw, int32_t* y) const {
  const Opened& o = h_->at(paths_, part);
  const int64_t local = first - h_->parts[part].begin;
  hid_t mem = H5I_INVALID_HID;
  h5::Handle fspace = row_space(h5::dims(o.feat.get()), local, count, &mem);
  h5::Handle mspace(mem, H5Sclose);
  if (H5Dread(o.feat.get(), h_->mem_type.get(), mspace.get(), fspace.get(), H5P_DEFAULT, raw) < 0)
    fail("{}: reading rows {}..{} of '{}' failed (corrupt or truncated file?)", h_->parts[part].path, local,
         local + count - 1, paths_.features);
  if (h_->cls == H5T_FLOAT) check_finite(part, local, count, raw);
  read_labels(part, first, count, paths_.float_targets ? LabelRead::F32 : LabelRead::I32, y);  // float: its bits
}

void SampleSource::check_finite(size_t part, int64_t local, int64_t count, const unsigned char* raw) const {
  const int64_t D = sample_numel(), n = count * D;
  const int64_t at = elem_size_ == 4 ? first_nonfinite<float>(raw, n) : first_nonfinite<double>(raw, n);
  if (at < 0) return;
  double v = 0;
  if (elem_size_ == 4) {
    float f;
    std::memcpy(&f, raw + at * 4, 4);
    v = f;
  } else {
    std::memcpy(&v, raw + at * 8, 8);
  }
  fail("{}: '{}' ({}) row {} column {} has value {}; features must be finite (as float32)", h_->parts[part].path,
       paths_.features, paths_.features_option, local + at / D, at % D, v);
}

void SampleSource::read_labels(size_t part, int64_t first, int64_t count, LabelRead as, void* y) const {
  const Opened& o = h_->at(paths_, part);
  const int64_t local = first - h_->parts[part].begin;
  hid_t mem = H5I_INVALID_HID;
  h5::Handle fspace = row_space(h5::dims(o.lab.get()), local, count, &mem);
  h5::Handle mspace(mem, H5Sclose);
  const hid_t type = as == LabelRead::F32   ? H5T_NATIVE_FLOAT
                     : as == LabelRead::I64 ? H5T_NATIVE_INT64
                                            : H5T_NATIVE_INT32;
  if (H5Dread(o.lab.get(), type, mspace.get(), fspace.get(), H5P_DEFAULT, y) < 0)
    fail("{}: reading rows {}..{} of '{}' failed (corrupt or truncated file?)", h_->parts[part].path, local,
         local + count - 1, paths_.labels);
}

void SampleSource::read(const std::vector<int64_t>& idx, float* x, int32_t* y) const {
  const int64_t D = sample_numel();
  std::vector<int64_t> order(idx.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return idx[a] < idx[b]; });
  std::vector<unsigned char> wx;
  const int64_t row_bytes = D * static_cast<int64_t>(elem_size_);
  std::vector<int32_t> wy;
  // Walk the sorted rows window by window (a window = one chunk's rows of one file); read the span
  // of each window that holds wanted rows with one hyperslab, then copy those rows to their places.
  for (size_t i = 0; i < order.size();) {
    const int64_t first = idx[order[i]];
    if (first < 0 || first >= n_) fail("internal: sample index {} outside [0, {})", first, n_);
    const int64_t end = window_end(first);
    size_t j = i;
    while (j < order.size() && idx[order[j]] < end) ++j;
    const int64_t count = idx[order[j - 1]] - first + 1;
    wx.resize(static_cast<size_t>(count * row_bytes));
    wy.resize(static_cast<size_t>(count * target_slots_));
    read_window(part_of(first), first, count, wx.data(), wy.data());
    for (size_t k = i; k < j; ++k) {
      const int64_t row = idx[order[k]] - first, dst = order[k];
      convert_row(wx.data() + row * row_bytes, x + dst * D);
      std::copy_n(wy.data() + row * target_slots_, target_slots_, y + dst * target_slots_);
    }
    i = j;
  }
}

void SampleSource::read_raw(int64_t begin, int64_t end, unsigned char* raw, int32_t* y) const {
  for_windows(begin, end, [&](size_t part, int64_t first, int64_t count) {
    read_window(part, first, count, raw + (first - begin) * row_bytes(), y + (first - begin) * target_slots_);
  });
}

void SampleSource::check_features(int64_t begin, int64_t end) const {
  if (h_->cls != H5T_FLOAT) return;
  std::vector<unsigned char> x;
  std::vector<int32_t> y;
  for_windows(begin, end, [&](size_t part, int64_t first, int64_t count) {
    x.resize(static_cast<size_t>(count * row_bytes()));
    y.resize(static_cast<size_t>(count * target_slots_));
    read_window(part, first, count, x.data(), y.data());  // checks the rows it read
  });
}

}  // namespace dpt
