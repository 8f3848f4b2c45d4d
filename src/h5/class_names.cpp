#include "h5/class_names.hpp"

#include "h5/file.hpp"

namespace dpt {

std::vector<std::string> read_class_names(const std::string& path, int64_t classes) {
  h5::Handle f = h5::open_read(path);
  if (!h5::has_attr(f.get(), "classes")) return {};
  h5::Handle a(H5Aopen(f.get(), "classes", H5P_DEFAULT), H5Aclose);
  h5::Handle type(H5Aget_type(a.get()), H5Tclose);
  h5::Handle space(H5Aget_space(a.get()), H5Sclose);
  if (!a.valid() || H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0 ||
      H5Sget_simple_extent_npoints(space.get()) != classes)
    return {};
  h5::Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), H5T_VARIABLE);
  H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
  std::vector<char*> ptrs(static_cast<size_t>(classes), nullptr);
  if (H5Aread(a.get(), mem.get(), ptrs.data()) < 0) return {};
  std::vector<std::string> names;
  for (char* p : ptrs) names.emplace_back(p ? p : "");
  H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return names;
}

}  // namespace dpt
