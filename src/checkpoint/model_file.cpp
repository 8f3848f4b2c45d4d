#include "checkpoint/model_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.hpp"
#include "data/h5_file.hpp"

namespace dpt {

namespace {
constexpr int64_t kFormatVersion = 1;

void write_str_attr(hid_t loc, const char* name, const std::string& v) {
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  h5::Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  h5::Handle a(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = v.c_str();
  H5Awrite(a.get(), type.get(), &p);
}

void write_i64_attr(hid_t loc, const char* name, const std::vector<int64_t>& v) {
  const hsize_t n = v.size();
  h5::Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  h5::Handle a(H5Acreate2(loc, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5Awrite(a.get(), H5T_NATIVE_INT64, v.data());
}

std::string read_str_attr(hid_t loc, const char* name, const std::string& path) {
  if (H5Aexists(loc, name) <= 0) fail("{}: attribute '{}' missing: not a dptrain model file", path, name);
  h5::Handle a(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  h5::Handle stored(H5Aget_type(a.get()), H5Tclose);
  H5Tset_cset(type.get(), H5Tget_cset(stored.get()));
  if (H5Tis_variable_str(stored.get()) <= 0) fail("{}: attribute '{}' is not a string", path, name);
  char* p = nullptr;
  if (H5Aread(a.get(), type.get(), &p) < 0 || !p) fail("{}: attribute '{}' unreadable", path, name);
  std::string s(p);
  H5free_memory(p);
  return s;
}

std::vector<int64_t> read_i64_attr(hid_t loc, const char* name, const std::string& path) {
  if (H5Aexists(loc, name) <= 0) fail("{}: attribute '{}' missing: not a dptrain model file", path, name);
  h5::Handle a(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  h5::Handle space(H5Aget_space(a.get()), H5Sclose);
  std::vector<int64_t> v(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
  H5Aread(a.get(), H5T_NATIVE_INT64, v.data());
  return v;
}

void fsync_path(const std::string& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

void save_model(const std::string& path, const Model& model, const ModelFileInfo& info) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  try {
    h5::Handle f = h5::create(tmp);
    h5::Handle g(H5Gcreate2(f.get(), "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    for (const auto& v : model.store().views()) {
      std::vector<hsize_t> dims(v.shape.begin(), v.shape.end());
      h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
      h5::Handle d(H5Dcreate2(g.get(), v.name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT),
                   H5Dclose);
      if (!d.valid() || H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                 model.store().params() + v.offset) < 0)
        fail("{}: writing parameter '{}' failed (disk full?)", tmp, v.name);
    }
    write_str_attr(f.get(), "format", "dptrain-model");
    write_i64_attr(f.get(), "format_version", {kFormatVersion});
    write_str_attr(f.get(), "config", info.config_yaml);
    write_i64_attr(f.get(), "input_shape", info.input_shape);
    write_i64_attr(f.get(), "epoch", {info.epoch});
    write_i64_attr(f.get(), "step", {info.step});
    if (H5Fflush(f.get(), H5F_SCOPE_GLOBAL) < 0) fail("{}: flush failed (disk full?)", tmp);
  } catch (...) {
    std::filesystem::remove(tmp);
    throw;
  }
  fsync_path(tmp, false);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    fail("{}: cannot move the finished model file into place: {}", path, ec.message());
  }
  const auto parent = std::filesystem::path(path).parent_path();
  fsync_path(parent.empty() ? "." : parent.string(), true);
}

ModelFileInfo read_model_info(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  if (read_str_attr(f.get(), "format", path) != "dptrain-model") fail("{}: not a dptrain model file", path);
  const auto version = read_i64_attr(f.get(), "format_version", path);
  if (version.empty() || version[0] != kFormatVersion)
    fail("{}: model format version {} is not supported (this dptrain reads version {})", path,
         version.empty() ? -1 : version[0], kFormatVersion);
  ModelFileInfo info;
  info.config_yaml = read_str_attr(f.get(), "config", path);
  info.input_shape = read_i64_attr(f.get(), "input_shape", path);
  info.epoch = read_i64_attr(f.get(), "epoch", path).at(0);
  info.step = read_i64_attr(f.get(), "step", path).at(0);
  return info;
}

void load_model_params(const std::string& path, Model& model) {
  h5::Handle f = h5::open_read(path);
  for (const auto& v : model.store().views()) {
    const std::string name = "/params/" + v.name;
    h5::Handle d = h5::open_dataset(f.get(), path, name, "model parameters");
    h5::Handle space(H5Dget_space(d.get()), H5Sclose);
    if (H5Sget_simple_extent_npoints(space.get()) != v.count)
      fail("{}: parameter '{}' has {} values but the model needs {} {}", path, v.name,
           H5Sget_simple_extent_npoints(space.get()), v.count, shape_str(v.shape));
    if (H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, model.store().params() + v.offset) < 0)
      fail("{}: reading parameter '{}' failed (corrupt file?)", path, v.name);
  }
}

}  // namespace dpt
