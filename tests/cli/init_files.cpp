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

// ordered: the root group tracks creation order (h5py's track_order=True).
void write(const std::string& path, const std::string& prefix, const std::vector<Tensor>& tensors, bool f64,
           bool ordered = false) {
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (ordered) H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
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
  // PyTorch module names, in creation order (train.init_from_match: position); "fc1" sorts after
  // "fc2.bias" nowhere, but bias before weight by name: only the order makes them map.
  const std::vector<Tensor> seq = {{"fc1.weight", {8, 12}}, {"fc1.bias", {8}}, {"fc2.weight", {4, 8}}, {"fc2.bias", {4}}};
  write(dir + "/init_seq.h5", "/", seq, false, true);
  write(dir + "/init_seq_short.h5", "/", {seq[0], seq[1], seq[2]}, false, true);
  write(dir + "/init_seq_swapped.h5", "/", {seq[1], seq[0], seq[2], seq[3]}, false, true);
}

}  // namespace dpt::test
