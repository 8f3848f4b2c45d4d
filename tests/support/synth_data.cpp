#include "support/synth_data.hpp"

#include <hdf5.h>
#include <mpi.h>
#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/rng.hpp"

namespace dpt::test {

namespace {
// The directories temp_dir made, removed when the test process ends (after MPI_Finalize, so every
// rank is done with them); DPTRAIN_KEEP_TEST_DIRS=1 keeps them for a look after a failure.
struct MadeDirs {
  std::vector<std::string> dirs;
  ~MadeDirs() {
    const char* keep = std::getenv("DPTRAIN_KEEP_TEST_DIRS");
    if (keep && std::string(keep) == "1") return;
    std::error_code ec;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
  }
};
MadeDirs& made_dirs() {
  static MadeDirs m;
  return m;
}

int64_t per_sample(const SynthSpec& s) {
  int64_t d = 1;
  for (auto v : s.shape) d *= v;
  return d;
}

hid_t file_type(Elem e) {
  switch (e) {
    case Elem::U8:
      return H5T_STD_U8LE;
    case Elem::I16:
      return H5T_STD_I16LE;
    case Elem::I32:
      return H5T_STD_I32LE;
    case Elem::F32:
      return H5T_IEEE_F32LE;
    default:
      return H5T_IEEE_F64LE;
  }
}

template <class T>
void write_typed(hid_t file, const SynthSpec& s, hid_t mem_type) {
  const int64_t D = per_sample(s);
  std::vector<T> data(static_cast<size_t>(s.n * D));
  for (int64_t i = 0; i < s.n; ++i)
    for (int64_t j = 0; j < D; ++j) data[static_cast<size_t>(i * D + j)] = static_cast<T>(synth_value(s, i, j));
  std::vector<hsize_t> dims{static_cast<hsize_t>(s.n)};
  for (auto v : s.shape) dims.push_back(static_cast<hsize_t>(v));
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (s.chunked) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::min<hsize_t>(dims[0], 37);  // deliberately odd chunk size
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    if (s.gzip) H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, 4);
  }
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t d = H5Dcreate2(file, s.features.c_str(), file_type(s.elem), space, lcpl, dcpl, H5P_DEFAULT);
  if (d < 0 || H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    throw std::runtime_error("write_synth: cannot write " + s.features);
  H5Dclose(d);
  std::vector<int64_t> labels(static_cast<size_t>(s.n));
  for (int64_t i = 0; i < s.n; ++i) labels[static_cast<size_t>(i)] = synth_label(s, i);
  hsize_t ln = static_cast<hsize_t>(s.n);
  hid_t lspace = H5Screate_simple(1, &ln, nullptr);
  hid_t l = H5Dcreate2(file, s.labels.c_str(), H5T_STD_I64LE, lspace, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(l, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels.data());
  H5Dclose(l), H5Sclose(lspace), H5Sclose(space), H5Pclose(dcpl), H5Pclose(lcpl);
}
}  // namespace

int32_t synth_label(const SynthSpec& s, int64_t i) {
  uint64_t st = s.seed * 1000003u + static_cast<uint64_t>(i);
  return static_cast<int32_t>(splitmix64(st) % static_cast<uint64_t>(s.classes));
}

double synth_value(const SynthSpec& s, int64_t i, int64_t j) {
  uint64_t st = (s.seed << 32) ^ static_cast<uint64_t>(i * 1315423911LL + j);
  const double noise = static_cast<double>(splitmix64(st) >> 11) * 0x1.0p-53 * 2.0 - 1.0;  // [-1, 1)
  const double v = (j % s.classes == synth_label(s, i) ? 2.0 : 0.0) + noise;
  switch (s.elem) {
    case Elem::U8:
      return std::round((v + 1.0) * 60.0);  // 0..180
    case Elem::I16:
      return std::round(v * 1000.0);
    case Elem::I32:
      return std::round(v * 100000.0);
    case Elem::F32:
      return static_cast<double>(static_cast<float>(v));
    default:
      return v;
  }
}

std::vector<int32_t> write_synth(const std::string& path, const SynthSpec& s, bool append) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = append ? H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)
                   : H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) throw std::runtime_error("write_synth: cannot open " + path);
  switch (s.elem) {
    case Elem::U8:
      write_typed<uint8_t>(f, s, H5T_NATIVE_UINT8);
      break;
    case Elem::I16:
      write_typed<int16_t>(f, s, H5T_NATIVE_INT16);
      break;
    case Elem::I32:
      write_typed<int32_t>(f, s, H5T_NATIVE_INT32);
      break;
    case Elem::F32:
      write_typed<float>(f, s, H5T_NATIVE_FLOAT);
      break;
    case Elem::F64:
      write_typed<double>(f, s, H5T_NATIVE_DOUBLE);
      break;
  }
  H5Fclose(f);
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < s.n; ++i) labels.push_back(synth_label(s, i));
  return labels;
}

std::string temp_dir(const std::string& tag) {
  int init = 0, rank = 0;
  MPI_Initialized(&init);
  if (init) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char buf[4096] = {0};
  if (rank == 0) {
    std::string tmpl = "/tmp/dptrain-test-" + tag + "-XXXXXX";
    std::snprintf(buf, sizeof(buf), "%s", tmpl.c_str());
    if (!mkdtemp(buf)) throw std::runtime_error("mkdtemp failed");
    made_dirs().dirs.push_back(buf);
  }
  if (init) MPI_Bcast(buf, sizeof(buf), MPI_CHAR, 0, MPI_COMM_WORLD);
  return buf;
}

}  // namespace dpt::test
