#include "init_files.hpp"

#include <hdf5.h>

#include <vector>

#include "support/h5_put.hpp"

namespace dpt::test {

namespace {

struct Tensor {
  std::string name;
  std::vector<hsize_t> dims;
};

void write(const std::string& path, const std::string& prefix, const std::vector<Tensor>& tensors, bool f64) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  for (const Tensor& t : tensors) {
    hsize_t n = 1;
    for (hsize_t d : t.dims) n *= d;
    std::vector<double> v(n);
    for (hsize_t i = 0; i < n; ++i) v[i] = 0.01 * static_cast<double>(i % 17) - 0.05;
    put_dataset(f, prefix + t.name, f64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, t.dims, v.data());
  }
  H5Fclose(f);
}

}  // namespace

void write_init_files(const std::string& dir) {
  const std::vector<Tensor> good = {
      {"layers.0.weight", {8, 12}}, {"layers.0.bias", {8}}, {"layers.2.weight", {4, 8}}, {"layers.2.bias", {4}}};
  write(dir + "/init_good.h5", "/", good, false);
  write(dir + "/init_group.h5", "/state_dict/", good, true);
  std::vector<Tensor> shape = good;
  shape[0].dims = {8, 10};
  write(dir + "/init_shape.h5", "/", shape, false);
  write(dir + "/init_missing.h5", "/", {good[0], good[1], good[2]}, false);
}

}  // namespace dpt::test
