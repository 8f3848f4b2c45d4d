// HDF5 attribute I/O of FeatureNorm (h5/feature_norm.hpp).
#pragma once
#include <hdf5.h>

#include "h5/feature_norm.hpp"

namespace dpt {

// Reads the attributes of `dset` (dataset `name` of `file`, D features per sample). Throws naming
// the file, dataset and attribute when only one of offset/scale is present, when a length is not
// 1 or D, or when a value is not finite. A length-1 attribute is broadcast to D.
FeatureNorm read_feature_norm(hid_t dset, const std::string& file, const std::string& name, int64_t D);
// Writes `normalize` and, when active, `offset` and `scale` on `dset`.
void write_feature_norm(hid_t dset, const FeatureNorm& norm);

}  // namespace dpt
