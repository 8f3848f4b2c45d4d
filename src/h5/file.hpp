// Thin RAII handles over the HDF5 C API, and the checks every reader needs. HDF5's own error stack
// printing is switched off; failures become dpt::Error naming the file, the dataset and the option.
#pragma once
#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

namespace dpt::h5 {

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer c) : id_(id), close_(c) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  void reset();
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

void silence_errors();  // turn off HDF5's automatic error-stack printing (once per process)
// fsync a file or a directory by path (after writing under a temporary name / after a rename);
// best effort: errors are ignored, the data was already written.
void fsync_path(const std::string& path, bool directory);

// Opens an existing file read-only (independent I/O with the default driver).
Handle open_read(const std::string& path);
// Creates (truncates) a file for writing from one process.
Handle create(const std::string& path);
// Opens dataset `name`; `option` is the config key that named it, for the error message.
Handle open_dataset(hid_t file, const std::string& path, const std::string& name, const std::string& option);
bool exists(hid_t loc, const std::string& name);  // path with intermediate groups
// The names of the datasets directly in `group`, in creation order when the group tracks it (h5py:
// File(..., track_order=True); *in_creation_order = true), else in name order.
std::vector<std::string> dataset_names(hid_t file, const std::string& group, bool* in_creation_order = nullptr);

// Attributes. Writers create the attribute (collectively when the file is open with MPI-IO);
// readers throw naming `path` when it is missing or of the wrong kind.
void write_attr(hid_t loc, const char* name, const std::string& value);  // UTF-8, variable length
void write_attr(hid_t loc, const char* name, const std::vector<int64_t>& values);
void write_attr(hid_t loc, const char* name, const std::vector<double>& values);
bool has_attr(hid_t loc, const char* name);
std::string read_string_attr(hid_t loc, const char* name, const std::string& path);
std::vector<int64_t> read_i64_attr(hid_t loc, const char* name, const std::string& path);
std::vector<double> read_f64_attr(hid_t loc, const char* name, const std::string& path);

}  // namespace dpt::h5
