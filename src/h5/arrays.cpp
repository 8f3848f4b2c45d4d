#include "h5/arrays.hpp"

#include <algorithm>
#include <cerrno>

namespace dpt::h5 {

hid_t create_collective(const std::string& path, const void* mpi_comm, int& err) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_mpio(fapl.get(), *static_cast<const MPI_Comm*>(mpi_comm), MPI_INFO_NULL);
  errno = 0;
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  err = errno;
  return f;
}

bool close_file(hid_t file, int& err) {
  errno = 0;
  const herr_t closed = H5Fclose(file);
  err = errno;
  return closed >= 0;
}

bool flush_file(hid_t file) { return H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0; }

Handle create_f32(hid_t loc, const std::string& name, const std::vector<int64_t>& dims, int& err) {
  const std::vector<hsize_t> d(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr), H5Sclose);
  errno = 0;
  Handle dset(H5Dcreate2(loc, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose);
  err = errno;
  return dset;
}

bool write_f32(hid_t dset, const float* data) {
  return H5Dwrite(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
}

bool write_f32_ranges(hid_t dset, const float* data, const std::vector<std::pair<int64_t, int64_t>>& ranges, int& err) {
  Handle space(H5Dget_space(dset), H5Sclose);
  hsize_t total = 0;
  for (const auto& [lo, hi] : ranges) {
    const hsize_t start = static_cast<hsize_t>(lo), count = static_cast<hsize_t>(hi - lo);
    if (count > 0)
      H5Sselect_hyperslab(space.get(), total == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, &start, nullptr, &count, nullptr);
    total += count;
  }
  const hsize_t mem_size = std::max<hsize_t>(total, 1);  // a dataspace of 0 elements is not allowed
  Handle mem(H5Screate_simple(1, &mem_size, nullptr), H5Sclose);
  if (total == 0) H5Sselect_none(space.get()), H5Sselect_none(mem.get());
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  errno = 0;
  const herr_t written = H5Dwrite(dset, H5T_NATIVE_FLOAT, mem.get(), space.get(), dxpl.get(), data);
  err = errno;
  return written >= 0;
}

int64_t data_offset(hid_t dset) {
  const haddr_t at = H5Dget_offset(dset);
  return at == HADDR_UNDEF ? -1 : static_cast<int64_t>(at);
}

int64_t element_count(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  return static_cast<int64_t>(H5Sget_simple_extent_npoints(space.get()));
}

std::vector<int64_t> dims(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> d(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
  return {d.begin(), d.end()};
}

bool read_f32(hid_t dset, float* out) {
  return H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
}

bool read_f32_range(hid_t dset, int64_t lo, int64_t n, float* out) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const hsize_t start = static_cast<hsize_t>(lo), count = static_cast<hsize_t>(n);
  if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0) return false;
  Handle mem(H5Screate_simple(1, &count, nullptr), H5Sclose);
  return H5Dread(dset, H5T_NATIVE_FLOAT, mem.get(), space.get(), H5P_DEFAULT, out) >= 0;
}

}  // namespace dpt::h5
