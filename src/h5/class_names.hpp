// Optional class names of a data set: the root attribute `classes` (an array of strings, as
// `dptrain prepare` writes it and h5py users often do) of an HDF5 file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dpt {

// The names, or {} when the file has no such attribute or it is not a list of `classes` strings
// (names are a convenience for reports; their absence is never an error).
std::vector<std::string> read_class_names(const std::string& path, int64_t classes);

}  // namespace dpt
