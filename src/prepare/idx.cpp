#include "prepare/idx.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "h5/write.hpp"
#include "prepare/idx_reader.hpp"

namespace dpt {

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x08:
      return "uint8";
    case 0x09:
      return "int8";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "?";
  }
}

namespace {
struct H5Types {
  hid_t file, mem;
};

H5Types h5_types(uint8_t type) {
  switch (type) {
    case 0x08:
      return {H5T_STD_U8LE, H5T_NATIVE_UINT8};
    case 0x09:
      return {H5T_STD_I8LE, H5T_NATIVE_INT8};
    case 0x0B:
      return {H5T_STD_I16LE, H5T_NATIVE_INT16};
    case 0x0C:
      return {H5T_STD_I32LE, H5T_NATIVE_INT32};
    case 0x0D:
      return {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT};
    default:
      return {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE};
  }
}

int64_t label_at(const IdxArray& a, size_t i) {
  switch (a.type) {
    case 0x08:
      return a.data[i];
    case 0x09:
      return static_cast<int8_t>(a.data[i]);
    case 0x0B: {
      int16_t v;
      std::memcpy(&v, a.data.data() + 2 * i, 2);
      return v;
    }
    default: {
      int32_t v;
      std::memcpy(&v, a.data.data() + 4 * i, 4);
      return v;
    }
  }
}

struct Split {
  IdxArray images, labels;
};

Split read_split(const IdxSplitFiles& f) {
  Split s{read_idx(f.images), read_idx(f.labels)};
  const auto& d = s.images.dims;
  if (d.size() < 2 || d.size() > 4)
    fail("{}: images have {} dimensions; expected (N, D), (N, H, W) or (N, C, H, W)", f.images, d.size());
  const auto& l = s.labels.dims;
  if (s.labels.type == 0x0D || s.labels.type == 0x0E)
    fail("{}: labels are {}; class labels must be integers (IDX type 0x08, 0x09, 0x0B or 0x0C)", f.labels,
         idx_type_name(s.labels.type));
  if (!(l.size() == 1 || (l.size() == 2 && l[1] == 1)))
    fail("{}: labels have {} dimensions; expected (N) or (N, 1)", f.labels, l.size());
  if (l[0] != d[0]) fail("{}: {} images but {} has {} labels", f.images, d[0], f.labels, l[0]);
  for (size_t i = 0; i < static_cast<size_t>(l[0]); ++i)
    if (label_at(s.labels, i) < 0)
      fail("{}: label {} at row {} is negative; class labels are 0, 1, 2, ...", f.labels, label_at(s.labels, i), i);
  return s;
}

void write_split(hid_t file, const char* name, const Split& s, const std::string& path) {
  h5::Handle g = h5::create_group(file, name, path);
  const int64_t row_bytes = static_cast<int64_t>(s.images.data.size()) / std::max<int64_t>(s.images.dims[0], 1);
  const int64_t chunk = std::clamp<int64_t>((1 << 20) / std::max<int64_t>(row_bytes, 1), 1, 1024);
  const H5Types it = h5_types(s.images.type), lt = h5_types(s.labels.type);
  h5::write_array(g.get(), "images", it.file, it.mem, s.images.dims, s.images.data.data(), chunk, path);
  h5::write_array(g.get(), "labels", lt.file, lt.mem, {s.labels.dims[0]}, s.labels.data.data(), 65536, path);
}
}  // namespace

IdxPrepareSummary prepare_idx(const IdxSplitFiles& train_files, const IdxSplitFiles& test_files,
                              const std::string& out) {
  const bool has_test = !test_files.images.empty() || !test_files.labels.empty();
  if (train_files.images.empty() || train_files.labels.empty() ||
      (has_test && (test_files.images.empty() || test_files.labels.empty())))
    fail(
        "prepare idx: give the images and the labels of each split (--train-images/--train-labels, "
        "--test-images/--test-labels)");
  const Split train = read_split(train_files);
  Split test;
  if (has_test) {
    test = read_split(test_files);
    const std::vector<int64_t> a(train.images.dims.begin() + 1, train.images.dims.end()),
        b(test.images.dims.begin() + 1, test.images.dims.end());
    if (a != b || train.images.type != test.images.type)
      fail("{}: test images are {} samples of {} values, but the training images ({}) are {} samples of {}",
           test_files.images, idx_type_name(test.images.type), fmt::join(b, "x"), train_files.images,
           idx_type_name(train.images.type), fmt::join(a, "x"));
  }
  h5::write_h5_atomically(out, [&](hid_t f, const std::string& tmp) {
    write_split(f, "train", train, tmp);
    if (has_test) write_split(f, "test", test, tmp);
    std::string source = "IDX: " + train_files.images + ", " + train_files.labels;
    if (has_test) source += ", " + test_files.images + ", " + test_files.labels;
    h5::write_attr(f, "source", source);
  });
  IdxPrepareSummary s{train.images.dims[0],
                      has_test ? test.images.dims[0] : 0,
                      {train.images.dims.begin() + 1, train.images.dims.end()},
                      idx_type_name(train.images.type),
                      idx_type_name(train.labels.type),
                      {}};
  for (size_t i = 0; i < static_cast<size_t>(s.train); ++i) ++s.train_class_counts[label_at(train.labels, i)];
  return s;
}

}  // namespace dpt
