#include "h5/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

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

namespace {
// The end-of-file address the superblock records (base address + stored EOF), or -1 when the
// superblock cannot be read. Superblock versions 0/1: the EOF address follows the base and the
// free-space addresses; versions 2/3: the base and the superblock-extension addresses.
int64_t superblock_eoa(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  static const char kSig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  for (int64_t at = 0; in; at = at == 0 ? 512 : at * 2) {  // the signature is at 0, 512, 1024, ...
    unsigned char b[64] = {};
    in.clear();
    in.seekg(at);
    if (!in.read(reinterpret_cast<char*>(b), sizeof b)) return -1;
    if (std::memcmp(b, kSig, 8) != 0) continue;
    const int version = b[8];
    const int o = version <= 1 ? b[13] : b[9];  // size of offsets
    if (o != 2 && o != 4 && o != 8) return -1;
    auto addr = [&](int pos) {
      uint64_t v = 0;
      for (int k = o - 1; k >= 0; --k) v = v << 8 | b[pos + k];  // little-endian
      return v;
    };
    const int base = version == 0 ? 24 : version == 1 ? 28 : 12;
    const uint64_t start = addr(base), eoa = addr(base + 2 * o);              // a damaged superblock may hold anything:
    if (start > (uint64_t{1} << 62) || eoa > (uint64_t{1} << 62)) return -1;  // no int64 overflow
    return static_cast<int64_t>(start + eoa);
  }
  return -1;
}

[[noreturn]] void fail_open(const std::string& path) {
  std::error_code ec;
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  const int64_t eoa = superblock_eoa(path);
  if (!ec && eoa > size)
    fail(
        "{}: truncated file: {} bytes on disk, but the file's superblock says it ends at byte {} ({} bytes missing; "
        "an interrupted copy or download?)",
        path, size, eoa, eoa - size);
  fail("{}: cannot open HDF5 file (permissions, or a file still being written?)", path);
}
}  // namespace

Handle open_read(const std::string& path) {
  silence_errors();
  if (!std::filesystem::exists(path)) fail("{}: file not found", path);
  if (std::filesystem::is_directory(path)) fail("{}: is a directory, not an HDF5 file", path);
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("{}: not an HDF5 file", path);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) fail_open(path);
  Handle h(f, H5Fclose);
  haddr_t eoa = 0;
  hsize_t size = 0;
  if (H5Fget_eoa(f, &eoa) >= 0 && H5Fget_filesize(f, &size) >= 0 && eoa > size)
    fail(
        "{}: truncated file: {} bytes on disk, but the file's superblock says it ends at byte {} ({} bytes missing; "
        "an interrupted copy or download?)",
        path, size, eoa, eoa - size);
  return h;
}

Handle create(const std::string& path) {
  silence_errors();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) fail("{}: cannot create HDF5 file (does the directory exist and is it writable?)", path);
  return Handle(f, H5Fclose);
}

namespace {
herr_t add_dataset_name(hid_t group, const char* name, const H5L_info_t*, void* names) {
  const hid_t o = H5Oopen(group, name, H5P_DEFAULT);
  if (o < 0) return 0;  // a dangling link: not a dataset
  if (H5Iget_type(o) == H5I_DATASET) static_cast<std::vector<std::string>*>(names)->push_back(name);
  H5Oclose(o);
  return 0;
}
}  // namespace

std::vector<std::string> dataset_names(hid_t file, const std::string& group, bool* in_creation_order) {
  Handle g(H5Gopen2(file, group.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) return {};
  Handle gcpl(H5Gget_create_plist(g.get()), H5Pclose);
  unsigned flags = 0;
  const bool tracked = gcpl.valid() && H5Pget_link_creation_order(gcpl.get(), &flags) >= 0 &&
                       (flags & H5P_CRT_ORDER_INDEXED) != 0;
  if (in_creation_order) *in_creation_order = tracked;
  std::vector<std::string> names;
  hsize_t at = 0;
  H5Literate(g.get(), tracked ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC, &at, add_dataset_name, &names);
  return names;
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

namespace {
std::string link_value(hid_t loc, const std::string& name, size_t size) {
  std::string v(size, '\0');
  if (H5Lget_val(loc, name.c_str(), v.data(), size, H5P_DEFAULT) < 0) return {};
  return v;
}

// A soft or external link on the way to `name` that leads nowhere: throws naming it and its target.
void check_links(hid_t file, const std::string& path, const std::string& name, const std::string& option) {
  std::string partial = name[0] == '/' ? "/" : "";
  for (size_t start = partial.size(); start <= name.size();) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    partial += name.substr(start, slash - start);
    start = slash + 1;
    H5L_info_t info;
    if (H5Lget_info(file, partial.c_str(), &info, H5P_DEFAULT) < 0 || info.type == H5L_TYPE_HARD) {
      partial += "/";
      continue;
    }
    if (H5Oexists_by_name(file, partial.c_str(), H5P_DEFAULT) > 0) {
      partial += "/";
      continue;
    }
    const std::string v = link_value(file, partial, info.u.val_size);
    if (info.type == H5L_TYPE_SOFT)
      fail("{}: dataset '{}' ({}): '{}' is a soft link to '{}', which does not exist in the file", path, name, option,
           partial, v.c_str());
    const char *ext_file = nullptr, *ext_obj = nullptr;
    unsigned flags = 0;
    if (info.type == H5L_TYPE_EXTERNAL && H5Lunpack_elink_val(v.data(), v.size(), &flags, &ext_file, &ext_obj) >= 0)
      fail(
          "{}: dataset '{}' ({}): '{}' is an external link to '{}' in file '{}', which cannot be opened (is that file "
          "missing, moved, or without that object?)",
          path, name, option, partial, ext_obj, ext_file);
    fail("{}: dataset '{}' ({}): link '{}' leads nowhere", path, name, option, partial);
  }
}

// A compression filter of the dataset this HDF5 library cannot apply: throws naming it.
void check_filters(hid_t dset, const std::string& path, const std::string& name, const std::string& option) {
  Handle plist(H5Dget_create_plist(dset), H5Pclose);
  const int n = H5Pget_nfilters(plist.get());
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    size_t nvalues = 0;
    char fname[256] = {};
    const H5Z_filter_t id =
        H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags, &nvalues, nullptr, sizeof fname, fname, &config);
    if (id < 0 || H5Zfilter_avail(id) > 0) continue;
    fail(
        "{}: dataset '{}' ({}) is compressed with HDF5 filter {} '{}', which this HDF5 library does not have; "
        "install the filter's plugin and set HDF5_PLUGIN_PATH to its directory, or convert the file where the "
        "filter is available: h5repack -f GZIP=4 {} out.h5",
        path, name, option, id, fname, path);
  }
}
}  // namespace

Handle open_dataset(hid_t file, const std::string& path, const std::string& name, const std::string& option) {
  if (name.empty()) fail("{}: no dataset path given ({} is empty)", path, option);
  check_links(file, path, name, option);
  if (!exists(file, name)) fail("{}: dataset '{}' not found ({})", path, name, option);
  hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  if (d < 0) fail("{}: '{}' is not a dataset ({})", path, name, option);
  Handle h(d, H5Dclose);
  check_filters(d, path, name, option);
  return h;
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
