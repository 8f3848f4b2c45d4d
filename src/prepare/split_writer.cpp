#include "prepare/split_writer.hpp"

#include <algorithm>

#include "h5/feature_norm_io.hpp"

namespace dpt {

const char* const kSplitNames[3] = {"train", "val", "test"};

SplitWriter::SplitWriter(hid_t file, const std::string& path, const std::vector<std::string>& feature_names,
                         const std::string& label_column, int64_t chunk_rows, bool float_labels)
    : D_(static_cast<int64_t>(feature_names.size())), chunk_rows_(std::max<int64_t>(chunk_rows, 1)) {
  for (int s = 0; s < 3; ++s) {
    Out& o = out_[s];
    o.group = h5::create_group(file, kSplitNames[s], path);
    o.features = std::make_unique<h5::RowWriter>(o.group.get(), "features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                                                 std::vector<int64_t>{D_}, chunk_rows_, path);
    o.labels = std::make_unique<h5::RowWriter>(o.group.get(), "labels", float_labels ? H5T_IEEE_F32LE : H5T_STD_I32LE,
                                               float_labels ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT32,
                                               std::vector<int64_t>{}, chunk_rows_, path);
    h5::write_string_list_attr(o.features->id(), "feature_names", feature_names);
    h5::write_attr(o.labels->id(), "label_column", label_column);
    o.x.resize(static_cast<size_t>(chunk_rows_ * D_));
    o.y.resize(static_cast<size_t>(chunk_rows_));
  }
}

void SplitWriter::add(int split, const float* x, int32_t label) {
  Out& o = out_[split];
  std::copy_n(x, D_, o.x.data() + o.buffered * D_);
  o.y[static_cast<size_t>(o.buffered)] = label;
  if (++o.buffered == chunk_rows_) flush(o);
}

void SplitWriter::flush(Out& o) {
  o.features->append(o.x.data(), o.buffered);
  o.labels->append(o.y.data(), o.buffered);
  o.buffered = 0;
}

void SplitWriter::finish(const FeatureNorm& norm) {
  for (Out& o : out_) {
    flush(o);
    write_feature_norm(o.features->id(), norm);
  }
}

}  // namespace dpt
