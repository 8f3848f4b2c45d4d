#include "checkpoint_fixture.hpp"

#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "support/test_util.hpp"

namespace dpt::test {

CheckpointArrays SampleArrays::view() {
  return {params.data(),  static_cast<int64_t>(params.size()), optimizer.data(), static_cast<int64_t>(optimizer.size()),
          buffers.data(), static_cast<int64_t>(buffers.size())};
}

SampleArrays sample_arrays(int64_t n_params, int64_t n_optimizer, int64_t n_buffers, uint64_t seed) {
  SampleArrays a{random_vector<float>(static_cast<size_t>(n_params), seed),
                 random_vector<float>(static_cast<size_t>(n_optimizer), seed + 1, -1e-3, 1e-3),
                 random_vector<float>(static_cast<size_t>(n_buffers), seed + 2, 0, 4)};
  uint32_t nan_bits = 0x7fc01234u;  // a quiet NaN with a payload
  float nan = 0;
  std::memcpy(&nan, &nan_bits, 4);
  const float special[] = {-0.0f,
                           std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           nan,
                           std::numeric_limits<float>::max()};
  for (size_t i = 0; i < std::size(special) && i < a.params.size(); ++i) a.params[i] = special[i];
  return a;
}

SampleArrays zeros_like(const SampleArrays& a) {
  return {std::vector<float>(a.params.size()), std::vector<float>(a.optimizer.size()),
          std::vector<float>(a.buffers.size())};
}

bool bitwise_equal(const SampleArrays& a, const SampleArrays& b) {
  return test::bitwise_equal(a.params, b.params) && test::bitwise_equal(a.optimizer, b.optimizer) &&
         test::bitwise_equal(a.buffers, b.buffers);
}

CheckpointMeta sample_meta(int64_t step, const std::string& architecture) {
  return {step,
          architecture,
          "model:\n  layers:\n    - {type: dense, units: 3}\ntrain: {epochs: 2, seed: 7}\n",
          R"({"epoch":1,"step_in_epoch":4,"loss_sum":0.30000000000000004,"note":"ünïcode"})",
          R"({"params":[{"name":"layers.0.weight","offset":0,"shape":[3,5]}]})",
          0};
}

void flip_data_byte(const std::string& path, const std::string& dataset, int64_t byte) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = f < 0 ? -1 : H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const haddr_t at = d < 0 ? HADDR_UNDEF : H5Dget_offset(d);  // contiguous datasets only
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  if (at == HADDR_UNDEF) throw std::runtime_error(path + ": no contiguous dataset " + dataset);
  std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(static_cast<std::streamoff>(at) + byte);
  char c = 0;
  io.get(c);
  io.seekp(static_cast<std::streamoff>(at) + byte);
  io.put(static_cast<char>(c ^ 0xFF));
  if (!io) throw std::runtime_error(path + ": cannot flip a byte");
}

void truncate_file(const std::string& path, double fraction) {
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, static_cast<uintmax_t>(static_cast<double>(size) * fraction));
}

void set_i64_attr(const std::string& path, const char* name, int64_t value) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t a = f < 0 ? -1 : H5Aopen(f, name, H5P_DEFAULT);
  const bool ok = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0;
  if (a >= 0) H5Aclose(a);
  if (f >= 0) H5Fclose(f);
  if (!ok) throw std::runtime_error(path + ": cannot set attribute " + name);
}

}  // namespace dpt::test
