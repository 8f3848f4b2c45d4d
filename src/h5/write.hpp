// Writing HDF5 files from one process: whole arrays, datasets that grow row by row (extendable,
// chunked, shuffle + gzip), string-list attributes, and the temporary-file-then-rename pattern
// that keeps a half-written file from ever appearing under the final name.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "h5/file.hpp"

namespace dpt::h5 {

// A new group `name` under `loc`.
Handle create_group(hid_t loc, const std::string& name, const std::string& path);

// Writes `data` (native layout, mem_type elements) as dataset `name` of shape `dims` and type
// `file_type`, chunked by up to `chunk_rows` rows with shuffle + gzip 4. `path` names the file in errors.
void write_array(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<int64_t>& dims,
                 const void* data, int64_t chunk_rows, const std::string& path);

// A dataset (rows, sample_dims...) with an unlimited first dimension: each append() extends it and
// writes the rows with one hyperslab. Appending whole chunks (chunk_rows at a time) keeps every
// chunk written once.
class RowWriter {
 public:
  RowWriter(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, std::vector<int64_t> sample_dims,
            int64_t chunk_rows, const std::string& path);
  void append(const void* rows, int64_t count);
  int64_t rows() const { return rows_; }
  hid_t id() const { return dset_.get(); }

 private:
  Handle dset_;
  hid_t mem_type_;
  std::vector<hsize_t> sample_dims_;
  int64_t rows_ = 0;
  std::string name_, path_;
};

// A 1-D array attribute of variable-length UTF-8 strings.
void write_string_list_attr(hid_t loc, const char* name, const std::vector<std::string>& values);

// Writes `out` so that it is complete or absent: write(tmp) creates and fills a temporary file
// `out` + ".tmp.<pid>" (after a check that out's directory exists), which is then renamed to
// `out`; after any error the temporary file is removed and `out` is left as it was.
void write_atomically(const std::string& out, const std::function<void(const std::string& tmp)>& write);
// The same for a new HDF5 file: write(file, tmp) fills it (tmp names it in errors); it is flushed
// and closed before the rename.
void write_h5_atomically(const std::string& out, const std::function<void(hid_t file, const std::string& tmp)>& write);

}  // namespace dpt::h5
