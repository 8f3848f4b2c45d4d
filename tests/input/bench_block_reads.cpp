// Block reads of the streaming mode, timed three ways on P ranks: the POSIX driver (what the
// reader thread uses), MPI-IO with independent transfers, MPI-IO with collective transfers.
// Blocks of `block_rows` rows in a random order are dealt round-robin (block i -> rank i mod P),
// one block per rank per round, features and labels, like one epoch of streaming.
//   mpirun -np 2 bench_block_reads FILE [FEATURES=/train/images] [LABELS=/train/labels] [BLOCK_ROWS=1024] [REPS=3]
#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/rng.hpp"

namespace {
struct Timing {
  double seconds = 0;
  double bytes = 0;
};

Timing read_epoch(const std::string& path, const std::string& feat, const std::string& lab, hsize_t K, int mode,
                  int rank, int P) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (mode > 0) {
    H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
    H5Pset_dxpl_mpio(dxpl, mode == 2 ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  hid_t ds[2] = {H5Dopen2(f, feat.c_str(), H5P_DEFAULT), H5Dopen2(f, lab.c_str(), H5P_DEFAULT)};
  hid_t space[2] = {H5Dget_space(ds[0]), H5Dget_space(ds[1])};
  hsize_t dims[2][4] = {}, row[2] = {1, 1};
  int nd[2];
  for (int d = 0; d < 2; ++d) {
    nd[d] = H5Sget_simple_extent_dims(space[d], dims[d], nullptr);
    for (int k = 1; k < nd[d]; ++k) row[d] *= dims[d][k];
  }
  const hsize_t N = dims[0][0], blocks = (N + K - 1) / K;
  dpt::Rng rng(dpt::derive_seed(1, 2, 3));
  const std::vector<int64_t> order = dpt::random_permutation(static_cast<int64_t>(blocks), rng);
  std::vector<unsigned char> buf(K * row[0] * 8);
  Timing t;
  for (hsize_t r0 = 0; r0 < blocks; r0 += P) {  // one round: one block per rank
    const hsize_t i = r0 + rank;
    for (int d = 0; d < 2; ++d) {
      hid_t type = H5Dget_type(ds[d]), mem_type = H5Tget_native_type(type, H5T_DIR_ASCEND);
      hsize_t start[4] = {}, count[4];
      std::copy(dims[d], dims[d] + 4, count);
      hid_t mem;
      if (i < blocks) {
        start[0] = static_cast<hsize_t>(order[i]) * K;
        count[0] = std::min(K, N - start[0]);
        H5Sselect_hyperslab(space[d], H5S_SELECT_SET, start, nullptr, count, nullptr);
        mem = H5Screate_simple(nd[d], count, nullptr);
        t.bytes += static_cast<double>(count[0] * row[d] * H5Tget_size(mem_type));
      } else {
        H5Sselect_none(space[d]);
        mem = H5Screate_simple(nd[d], count, nullptr);
        H5Sselect_none(mem);
      }
      if (H5Dread(ds[d], mem_type, mem, space[d], dxpl, buf.data()) < 0) std::fprintf(stderr, "read failed\n");
      H5Sclose(mem), H5Tclose(mem_type), H5Tclose(type);
    }
  }
  for (int d = 0; d < 2; ++d) H5Sclose(space[d]), H5Dclose(ds[d]);
  H5Fclose(f);
  t.seconds = MPI_Wtime() - t0;
  H5Pclose(fapl), H5Pclose(dxpl);
  return t;
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, P = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &P);
  if (argc < 2) {
    if (rank == 0) std::fprintf(stderr, "usage: bench_block_reads FILE [FEATURES] [LABELS] [BLOCK_ROWS] [REPS]\n");
    MPI_Finalize();
    return 2;
  }
  const std::string file = argv[1], feat = argc > 2 ? argv[2] : "/train/images",
                    lab = argc > 3 ? argv[3] : "/train/labels";
  const hsize_t K = argc > 4 ? std::stoull(argv[4]) : 1024;
  const int reps = argc > 5 ? std::stoi(argv[5]) : 3;
  const char* names[3] = {"posix (sec2)", "mpio independent", "mpio collective"};
  std::vector<double> best(3, 1e30);
  double bytes = 0;
  for (int r = 0; r < reps; ++r)
    for (int mode = 0; mode < 3; ++mode) {
      const Timing t = read_epoch(file, feat, lab, K, mode, rank, P);
      double s = t.seconds, total = 0;
      MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      MPI_Allreduce(&t.bytes, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      best[mode] = std::min(best[mode], s), bytes = total;
    }
  if (rank == 0)
    for (int mode = 0; mode < 3; ++mode)
      std::printf("{\"ranks\": %d, \"block_rows\": %llu, \"mode\": \"%s\", \"seconds\": %.4f, \"MB_per_s\": %.1f}\n", P,
                  static_cast<unsigned long long>(K), names[mode], best[mode], bytes / best[mode] / 1e6);
  MPI_Finalize();
  return 0;
}
