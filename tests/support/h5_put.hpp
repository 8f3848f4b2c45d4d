// Test data with HDF5's own API, for files dptrain's writers would refuse to make (damaged, odd
// types, links, filters): one dataset at a time.
#pragma once
#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace dpt::test {

// Creates dataset `name` (intermediate groups too) of `dims` and writes `data` unless it is null;
// throws std::runtime_error naming the dataset when HDF5 fails.
inline void put_dataset(hid_t file, const std::string& name, hid_t ftype, hid_t mtype, const std::vector<hsize_t>& dims,
                        const void* data, hid_t dcpl = H5P_DEFAULT) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(file, name.c_str(), ftype, space, lcpl, dcpl, H5P_DEFAULT);
  const bool ok = d >= 0 && (!data || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  if (d >= 0) H5Dclose(d);
  H5Sclose(space), H5Pclose(lcpl);
  if (!ok) throw std::runtime_error("writing test dataset '" + name + "' failed");
}

}  // namespace dpt::test
