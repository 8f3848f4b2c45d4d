#include "checkpoint/checkpoint_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "data/h5_file.hpp"
#include "data/sampler.hpp"

namespace dpt {

namespace {
struct Array {
  const char* name;
  float* data;
  int64_t size;
};

std::vector<Array> arrays_of(const CheckpointArrays& a) {
  return {{"params", a.params, a.n_params}, {"optimizer", a.optimizer, a.n_optimizer}, {"buffers", a.buffers, a.n_buffers}};
}

int64_t crc_of(const float* p, int64_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* bytes = reinterpret_cast<const Bytef*>(p);
  for (int64_t off = 0, total = n * 4; off < total; off += 1 << 30)
    crc = crc32(crc, bytes + off, static_cast<uInt>(std::min<int64_t>(1 << 30, total - off)));
  return static_cast<int64_t>(crc);
}

// Collective write of one flat dataset: rank r writes its block of rows.
void write_array(hid_t file, const Array& a, const Comm& comm, const std::string& path) {
  const hsize_t n = static_cast<hsize_t>(a.size);
  h5::Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  h5::Handle d(H5Dcreate2(file, a.name, H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!d.valid()) fail("{}: cannot create dataset '{}'", path, a.name);
  h5::write_attr(d.get(), "crc32", std::vector<int64_t>{crc_of(a.data, a.size)});
  if (a.size == 0) return;  // every rank skips alike
  const auto [lo, hi] = block_range(a.size, comm.rank(), comm.size());
  const hsize_t start = static_cast<hsize_t>(lo), count = static_cast<hsize_t>(hi - lo);
  h5::Handle mem(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (count > 0) H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
  else H5Sselect_none(space.get()), H5Sselect_none(mem.get());
  h5::Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE);
  if (H5Dwrite(d.get(), H5T_NATIVE_FLOAT, mem.get(), space.get(), dxpl.get(), a.data + lo) < 0)
    fail("{}: writing '{}' failed (disk full or quota?)", path, a.name);
}

}  // namespace

void write_checkpoint(const std::string& path, const CheckpointMeta& meta, const CheckpointArrays& a,
                      const Comm& comm) {
  h5::silence_errors();
  const std::string tmp = path + ".tmp";
  {
    h5::Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_fapl_mpio(fapl.get(), *static_cast<const MPI_Comm*>(comm.native_handle()), MPI_INFO_NULL);
    h5::Handle f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!f.valid()) fail("{}: cannot create checkpoint (is the directory writable?)", tmp);
    for (const Array& arr : arrays_of(a)) write_array(f.get(), arr, comm, tmp);
    h5::write_attr(f.get(), "format", std::string("dptrain-checkpoint"));
    h5::write_attr(f.get(), "format_version", std::vector<int64_t>{kCheckpointVersion});
    h5::write_attr(f.get(), "step", std::vector<int64_t>{meta.step});
    h5::write_attr(f.get(), "ranks", std::vector<int64_t>{comm.size()});
    h5::write_attr(f.get(), "architecture", meta.architecture);
    h5::write_attr(f.get(), "config", meta.config_yaml);
    h5::write_attr(f.get(), "trainer_state", meta.trainer_state);
    h5::write_attr(f.get(), "param_index", meta.param_index);
  }  // collective close: the data is in the file
  int64_t failed = 0;
  if (comm.rank() == 0) {
    h5::fsync_path(tmp, false);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    failed = ec ? 1 : 0;
    const auto parent = std::filesystem::path(path).parent_path();
    h5::fsync_path(parent.empty() ? "." : parent.string(), true);
  }
  comm.allreduce_sum(&failed, 1);
  if (failed) fail("{}: cannot rename the finished checkpoint into place", path);
}

std::string read_format(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  return h5::has_attr(f.get(), "format") ? h5::read_string_attr(f.get(), "format", path) : "";
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  if (!h5::has_attr(f.get(), "format") || h5::read_string_attr(f.get(), "format", path) != "dptrain-checkpoint")
    fail("{}: not a dptrain checkpoint", path);
  const int64_t version = h5::read_i64_attr(f.get(), "format_version", path).at(0);
  if (version != kCheckpointVersion)
    fail("{}: checkpoint format version {} is not supported (this dptrain reads version {})", path, version,
         kCheckpointVersion);
  CheckpointMeta m;
  m.step = h5::read_i64_attr(f.get(), "step", path).at(0);
  m.ranks = h5::read_i64_attr(f.get(), "ranks", path).at(0);
  m.architecture = h5::read_string_attr(f.get(), "architecture", path);
  m.config_yaml = h5::read_string_attr(f.get(), "config", path);
  m.trainer_state = h5::read_string_attr(f.get(), "trainer_state", path);
  m.param_index = h5::read_string_attr(f.get(), "param_index", path);
  return m;
}

void verify_checkpoint_data(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  for (const char* name : {"params", "optimizer", "buffers"}) {
    h5::Handle d = h5::open_dataset(f.get(), path, std::string("/") + name, "checkpoint");
    h5::Handle space(H5Dget_space(d.get()), H5Sclose);
    std::vector<float> v(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
    if (!v.empty() && H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
      fail("{}: reading '{}' failed (truncated or corrupt file)", path, name);
    if (crc_of(v.data(), static_cast<int64_t>(v.size())) != h5::read_i64_attr(d.get(), "crc32", path).at(0))
      fail("{}: checksum mismatch in '{}' (corrupt file)", path, name);
  }
}

void read_checkpoint_arrays(const std::string& path, CheckpointArrays& a) {
  h5::Handle f = h5::open_read(path);
  for (const Array& arr : arrays_of(a)) {
    h5::Handle d = h5::open_dataset(f.get(), path, std::string("/") + arr.name, "checkpoint");
    h5::Handle space(H5Dget_space(d.get()), H5Sclose);
    const auto n = static_cast<int64_t>(H5Sget_simple_extent_npoints(space.get()));
    if (n != arr.size)
      fail("{}: '{}' holds {} values but this model needs {} (different architecture or optimizer?)", path, arr.name, n,
           arr.size);
    if (n > 0 && H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, arr.data) < 0)
      fail("{}: reading '{}' failed (truncated or corrupt file)", path, arr.name);
    const int64_t want = h5::read_i64_attr(d.get(), "crc32", path).at(0);
    if (crc_of(arr.data, n) != want) fail("{}: checksum mismatch in '{}' (corrupt file)", path, arr.name);
  }
}

}  // namespace dpt
