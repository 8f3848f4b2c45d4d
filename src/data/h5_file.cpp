#include "data/h5_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.hpp"

namespace dpt::h5 {

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = std::exchange(o.id_, H5I_INVALID_HID);
    close_ = o.close_;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = H5I_INVALID_HID;
}

void fsync_path(const std::string& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

Handle open_read(const std::string& path) {
  silence_errors();
  if (!std::filesystem::exists(path)) fail("{}: file not found", path);
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("{}: not an HDF5 file", path);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) fail("{}: cannot open HDF5 file (permissions, or a file still being written?)", path);
  return Handle(f, H5Fclose);
}

Handle create(const std::string& path) {
  silence_errors();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) fail("{}: cannot create HDF5 file (does the directory exist and is it writable?)", path);
  return Handle(f, H5Fclose);
}

bool exists(hid_t loc, const std::string& name) {
  // H5Lexists fails on missing intermediate groups: walk the path one component at a time.
  std::string partial;
  size_t start = name[0] == '/' ? 1 : 0;
  if (start == 1) partial = "/";
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    partial += name.substr(start, slash - start);
    if (H5Lexists(loc, partial.c_str(), H5P_DEFAULT) <= 0) return false;
    partial += "/";
    start = slash + 1;
  }
  return true;
}

Handle open_dataset(hid_t file, const std::string& path, const std::string& name, const std::string& option) {
  if (name.empty()) fail("{}: no dataset path given ({} is empty)", path, option);
  if (!exists(file, name)) fail("{}: dataset '{}' not found ({})", path, name, option);
  hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  if (d < 0) fail("{}: '{}' is not a dataset ({})", path, name, option);
  return Handle(d, H5Dclose);
}

void write_attr(hid_t loc, const char* name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  if (!a.valid() || H5Awrite(a.get(), type.get(), &p) < 0) fail("writing attribute '{}' failed", name);
}

namespace {
template <class V>
void write_numeric(hid_t loc, const char* name, const std::vector<V>& v, hid_t file_type, hid_t mem_type) {
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a(H5Acreate2(loc, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.valid() || H5Awrite(a.get(), mem_type, v.data()) < 0) fail("writing attribute '{}' failed", name);
}

template <class V>
std::vector<V> read_numeric(hid_t loc, const char* name, const std::string& path, hid_t mem_type) {
  if (!has_attr(loc, name)) fail("{}: attribute '{}' is missing", path, name);
  Handle a(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  Handle space(H5Aget_space(a.get()), H5Sclose);
  std::vector<V> v(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (H5Aread(a.get(), mem_type, v.data()) < 0) fail("{}: attribute '{}' is unreadable", path, name);
  return v;
}
}  // namespace

void write_attr(hid_t loc, const char* name, const std::vector<int64_t>& v) {
  write_numeric(loc, name, v, H5T_STD_I64LE, H5T_NATIVE_INT64);
}
void write_attr(hid_t loc, const char* name, const std::vector<double>& v) {
  write_numeric(loc, name, v, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}

bool has_attr(hid_t loc, const char* name) { return H5Aexists(loc, name) > 0; }

std::string read_string_attr(hid_t loc, const char* name, const std::string& path) {
  if (!has_attr(loc, name)) fail("{}: attribute '{}' is missing", path, name);
  Handle a(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  Handle stored(H5Aget_type(a.get()), H5Tclose);
  if (H5Tis_variable_str(stored.get()) <= 0) fail("{}: attribute '{}' is not a string", path, name);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5Tget_cset(stored.get()));
  char* p = nullptr;
  if (H5Aread(a.get(), type.get(), &p) < 0 || !p) fail("{}: attribute '{}' is unreadable", path, name);
  std::string s(p);
  H5free_memory(p);
  return s;
}

std::vector<int64_t> read_i64_attr(hid_t loc, const char* name, const std::string& path) {
  return read_numeric<int64_t>(loc, name, path, H5T_NATIVE_INT64);
}
std::vector<double> read_f64_attr(hid_t loc, const char* name, const std::string& path) {
  return read_numeric<double>(loc, name, path, H5T_NATIVE_DOUBLE);
}

}  // namespace dpt::h5
