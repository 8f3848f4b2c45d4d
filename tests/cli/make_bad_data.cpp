// Writes the wrong data files the CLI data-error cases (data_cases.cmake) feed to dptrain, into DIR:
//   nan_train.h5   /train/x (64, 12) float32 with NaN at row 37 column 5; clean /test/x, /train/y, /test/y
//   inf_test.h5    clean training data; /test/x with +Inf at row 20 column 3
//   nan_hand.h5    /x (12, 3) float32 (the hand-made model's input) with NaN at row 7 column 1, /y (12)
//   biglabel.h5    /train/y int64 with 2^33 + 1 at row 9 (a narrowing read would show 2147483647)
//   truncated.h5   a valid file cut to 60% of its size
//   lzf.h5         /train/x compressed with filter 32000 'lzf' (as h5py writes it; a registered
//                  identity filter here, which dptrain's HDF5 does not have)
//   dangling.h5    /train/x a soft link to /nowhere/x
//   extlink.h5     /train/x an external link to /train/x in gone.h5 (not written)
//   huge.h5        /train/x declared (10^9, 784) uint8, chunked, no chunk written (no disk space)
//   wide.h5        /train/x declared (10^6, 784) uint8, chunked, no chunk written
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "support/h5_put.hpp"

namespace {

herr_t ok(herr_t e, const char* what) {
  if (e < 0) {
    std::cerr << "make_bad_data: " << what << " failed\n";
    std::exit(1);
  }
  return e;
}

using dpt::test::put_dataset;

std::vector<float> features(int64_t n, int64_t D) {
  std::vector<float> x(static_cast<size_t>(n * D));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < D; ++j) x[static_cast<size_t>(i * D + j)] = (j == i % 4 ? 1.0f : 0.0f) + 0.01f * j;
  return x;
}

std::vector<int32_t> labels(int64_t n, int classes = 4) {
  std::vector<int32_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(i)] = static_cast<int32_t>(i % classes);
  return y;
}

// A float32 split (n, D) and its int32 labels (D classes when D < 4: the hand-made model's 3);
// `bad` (if set) replaces feature [row][col].
void put_split(hid_t f, const std::string& split, int64_t n, int64_t D, int64_t row = -1, int64_t col = 0,
               float bad = 0, hid_t dcpl = H5P_DEFAULT) {
  std::vector<float> x = features(n, D);
  if (row >= 0) x[static_cast<size_t>(row * D + col)] = bad;
  const auto y = labels(n, D < 4 ? static_cast<int>(D) : 4);
  put_dataset(f, split + "/x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {hsize_t(n), hsize_t(D)}, x.data(), dcpl);
  put_dataset(f, split + "/y", H5T_STD_I32LE, H5T_NATIVE_INT32, {hsize_t(n)}, y.data());
}

hid_t create(const std::string& path) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ok(f, path.c_str());
  return f;
}

size_t identity_filter(unsigned, size_t, const unsigned[], size_t nbytes, size_t*, void**) { return nbytes; }

// (rows, D) uint8 features and int32 labels declared, chunked, nothing written; a small clean test split.
void put_declared(const std::string& path, hsize_t rows, hsize_t D) {
  hid_t f = create(path);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk[2] = {1024, D};
  H5Pset_chunk(dcpl, 2, chunk);
  put_dataset(f, "/train/x", H5T_STD_U8LE, H5T_NATIVE_UINT8, {rows, D}, nullptr, dcpl);
  H5Pclose(dcpl);
  dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t ychunk = 65536;
  H5Pset_chunk(dcpl, 1, &ychunk);
  put_dataset(f, "/train/y", H5T_STD_I32LE, H5T_NATIVE_INT32, {rows}, nullptr, dcpl);
  H5Pclose(dcpl);
  put_split(f, "/test", 32, static_cast<int64_t>(D));
  H5Fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(dir + "/no_plugins");  // HDF5_PLUGIN_PATH for the lzf case
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();

  hid_t f = create(dir + "/nan_train.h5");
  put_split(f, "/train", 64, 12, 37, 5, nan);
  put_split(f, "/test", 32, 12);
  H5Fclose(f);

  f = create(dir + "/inf_test.h5");
  put_split(f, "/train", 64, 12);
  put_split(f, "/test", 32, 12, 20, 3, inf);
  H5Fclose(f);

  f = create(dir + "/nan_hand.h5");
  put_split(f, "", 12, 3, 7, 1, nan);
  H5Fclose(f);

  f = create(dir + "/biglabel.h5");
  put_split(f, "/test", 32, 12);
  std::vector<int64_t> y(64);
  for (int64_t i = 0; i < 64; ++i) y[static_cast<size_t>(i)] = i % 4;
  y[9] = (int64_t{1} << 33) + 1;
  const auto x = features(64, 12);
  put_dataset(f, "/train/x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {64, 12}, x.data());
  put_dataset(f, "/train/y", H5T_STD_I64LE, H5T_NATIVE_INT64, {64}, y.data());
  H5Fclose(f);

  const std::string trunc = dir + "/truncated.h5";
  f = create(trunc);
  put_split(f, "/train", 64, 12);
  put_split(f, "/test", 32, 12);
  H5Fclose(f);
  std::filesystem::resize_file(trunc, std::filesystem::file_size(trunc) * 6 / 10);

  const H5Z_class2_t lzf = {H5Z_CLASS_T_VERS, 32000, 1, 1, "lzf", nullptr, nullptr, identity_filter};
  ok(H5Zregister(&lzf), "registering filter 32000");
  f = create(dir + "/lzf.h5");
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk[2] = {16, 12};
  H5Pset_chunk(dcpl, 2, chunk);
  ok(H5Pset_filter(dcpl, 32000, H5Z_FLAG_OPTIONAL, 0, nullptr), "filter 32000");
  put_split(f, "/train", 64, 12, -1, 0, 0, dcpl);
  put_split(f, "/test", 32, 12);
  H5Pclose(dcpl);
  H5Fclose(f);

  f = create(dir + "/dangling.h5");
  put_split(f, "/test", 32, 12);
  const auto y32 = labels(64);
  put_dataset(f, "/train/y", H5T_STD_I32LE, H5T_NATIVE_INT32, {64}, y32.data());
  ok(H5Lcreate_soft("/nowhere/x", f, "/train/x", H5P_DEFAULT, H5P_DEFAULT), "soft link");
  H5Fclose(f);

  f = create(dir + "/extlink.h5");
  put_split(f, "/test", 32, 12);
  put_dataset(f, "/train/y", H5T_STD_I32LE, H5T_NATIVE_INT32, {64}, y32.data());
  ok(H5Lcreate_external("gone.h5", "/train/x", f, "/train/x", H5P_DEFAULT, H5P_DEFAULT), "external link");
  H5Fclose(f);

  put_declared(dir + "/huge.h5", 1000000000, 784);
  put_declared(dir + "/wide.h5", 1000000, 784);
  std::cout << "wrote bad test data to " << dir << "\n";
  return 0;
}
