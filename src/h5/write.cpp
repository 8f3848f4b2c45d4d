#include "h5/write.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "h5/write_options.hpp"

namespace dpt {

namespace {
Compression g_compression = Compression::gzip;
}  // namespace

void set_write_compression(Compression c) { g_compression = c; }
Compression write_compression() { return g_compression; }

Compression parse_compression(const std::string& text, const std::string& option) {
  if (text == "gzip") return Compression::gzip;
  if (text == "none") return Compression::none;
  fail("{} = '{}' is not valid: must be gzip or none", option, text);
}

}  // namespace dpt

namespace dpt::h5 {

namespace {
std::vector<hsize_t> to_hsize(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

Handle chunked_plist(const std::vector<hsize_t>& chunk) {
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(plist.get(), static_cast<int>(chunk.size()), chunk.data());
  if (write_compression() == Compression::gzip) {
    H5Pset_shuffle(plist.get());
    H5Pset_deflate(plist.get(), 4);
  }
  return plist;
}
}  // namespace

Handle create_group(hid_t loc, const std::string& name, const std::string& path) {
  Handle g(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail("{}: cannot create group '{}'", path, name);
  return g;
}

void write_array(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<int64_t>& dims,
                 const void* data, int64_t chunk_rows, const std::string& path) {
  const std::vector<hsize_t> d = to_hsize(dims);
  std::vector<hsize_t> chunk = d;
  chunk[0] = static_cast<hsize_t>(std::clamp<int64_t>(std::min(chunk_rows, dims[0]), 1, INT32_MAX));
  for (size_t i = 1; i < chunk.size(); ++i) chunk[i] = std::max<hsize_t>(chunk[i], 1);
  Handle space(H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr), H5Sclose);
  Handle plist = chunked_plist(chunk);
  Handle ds(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid() || H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail("{}: writing dataset '{}' failed (disk full?)", path, name);
}

RowWriter::RowWriter(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type,
                     std::vector<int64_t> sample_dims, int64_t chunk_rows, const std::string& path)
    : mem_type_(mem_type), sample_dims_(to_hsize(sample_dims)), name_(name), path_(path) {
  std::vector<hsize_t> dims{0}, max{H5S_UNLIMITED}, chunk{static_cast<hsize_t>(std::max<int64_t>(chunk_rows, 1))};
  for (hsize_t d : sample_dims_) dims.push_back(d), max.push_back(d), chunk.push_back(std::max<hsize_t>(d, 1));
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max.data()), H5Sclose);
  Handle plist = chunked_plist(chunk);
  dset_ =
      Handle(H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT), H5Dclose);
  if (!dset_.valid()) fail("{}: cannot create dataset '{}'", path, name);
}

void RowWriter::append(const void* rows, int64_t count) {
  if (count <= 0) return;
  std::vector<hsize_t> dims{static_cast<hsize_t>(rows_ + count)}, start{static_cast<hsize_t>(rows_)},
      cnt{static_cast<hsize_t>(count)};
  for (hsize_t d : sample_dims_) dims.push_back(d), start.push_back(0), cnt.push_back(d);
  if (H5Dset_extent(dset_.get(), dims.data()) < 0) fail("{}: cannot extend dataset '{}'", path_, name_);
  Handle fspace(H5Dget_space(dset_.get()), H5Sclose);
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr);
  Handle mspace(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
  if (H5Dwrite(dset_.get(), mem_type_, mspace.get(), fspace.get(), H5P_DEFAULT, rows) < 0)
    fail("{}: writing rows {}..{} of '{}' failed (disk full?)", path_, rows_, rows_ + count - 1, name_);
  rows_ += count;
}

void write_string_list_attr(hid_t loc, const char* name, const std::vector<std::string>& values) {
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle attr(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), ptrs.data()) < 0) fail("writing attribute '{}' failed", name);
}

void write_atomically(const std::string& out, const std::function<void(const std::string& tmp)>& write) {
  const std::filesystem::path p(out);
  if (p.has_parent_path() && !std::filesystem::is_directory(p.parent_path()))
    fail("{}: output directory '{}' does not exist", out, p.parent_path().string());
  const std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::error_code ec;
  try {
    write(tmp);
    std::filesystem::rename(tmp, out, ec);
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    fail("{}: cannot move the finished file into place: {}", out, ec.message());
  }
}

void write_h5_atomically(const std::string& out, const std::function<void(hid_t file, const std::string& tmp)>& write) {
  write_atomically(out, [&](const std::string& tmp) {
    Handle f = create(tmp);
    write(f.get(), tmp);
    if (H5Fflush(f.get(), H5F_SCOPE_GLOBAL) < 0) fail("{}: flush failed (disk full?)", tmp);
  });
}

}  // namespace dpt::h5
