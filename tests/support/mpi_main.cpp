// main() for multi-rank GoogleTest suites: every rank runs every test; only rank 0 prints; the
// process exits non-zero on every rank if any rank failed.
#include <gtest/gtest.h>
#include <mpi.h>

#include "comm/comm.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  int provided = 0;  // as dptrain asks (Comm::init): the watchdog and comm.progress=thread need it
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  dpt::set_process_rank(rank);
  ::testing::InitGoogleTest(&argc, argv);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0, any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && any && !failed)
    fprintf(stderr, "a test failed on another rank (rerun with the failing rank's output)\n");
  dpt::Comm::finalize();  // stops the watchdog thread train() starts by default, then MPI_Finalize
  return any;
}
