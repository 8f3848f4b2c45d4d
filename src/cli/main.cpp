// dptrain: distributed data-parallel training on MPI. main() is the only place that catches
// errors: it logs "[rank r] error: ..." and ends every rank of the job (MPI_Abort), so a failing
// rank never leaves the others waiting in a collective.
#include <CLI/CLI.hpp>

#include <csignal>

#include <cstdlib>

#include "cli/commands.hpp"
#include "comm/comm.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "kernels/blas_env.hpp"

namespace {

// DPTRAIN_WATCHDOG_TIMEOUT=SECONDS starts the collective watchdog (src/comm/comm.hpp) for train and
// evaluate and predict. Stand-in until the config option runtime.watchdog_timeout exists.
void start_watchdog_from_env() {
  const char* v = std::getenv("DPTRAIN_WATCHDOG_TIMEOUT");
  if (!v || !*v) return;
  char* end = nullptr;
  const double t = std::strtod(v, &end);
  if (*end || !(t >= 0)) dpt::fail("DPTRAIN_WATCHDOG_TIMEOUT='{}': expected seconds (>= 1; 0 = off)", v);
  if (t > 0) dpt::Comm::start_watchdog(t);
}

int run_cli(int argc, char** argv, int rank) {
  CLI::App app{"dptrain: data-parallel neural-network training on MPI, HDF5, oneTBB and OpenBLAS"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dptrain 0.1.0");
  const dpt::cli::Run prepare = dpt::cli::add_prepare(app);
  const dpt::cli::Run train = dpt::cli::add_train(app);
  const dpt::cli::Run evaluate = dpt::cli::add_evaluate(app);
  const dpt::cli::Run bench = dpt::cli::add_bench(app);
  const dpt::cli::Run predict = dpt::cli::add_predict(app);
  const dpt::cli::Run plot = dpt::cli::add_plot(app);
  const dpt::cli::Run docs = dpt::cli::add_docs(app);
  const dpt::cli::Run inspect = dpt::cli::add_inspect(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (rank != 0) return e.get_exit_code();  // every rank parses the same line: rank 0 reports it
    return app.exit(e);
  }
  // Single-process commands: under mpirun with several ranks, rank 0 does the work.
  if (app.got_subcommand("prepare")) return rank == 0 ? prepare() : 0;  // one writer
  if (app.got_subcommand("plot")) return rank == 0 ? plot() : 0;
  if (app.got_subcommand("docs")) return rank == 0 ? docs() : 0;
  if (app.got_subcommand("inspect")) return rank == 0 ? inspect() : 0;
  start_watchdog_from_env();
  if (app.got_subcommand("train")) return train();
  if (app.got_subcommand("bench")) return bench();
  if (app.got_subcommand("predict")) return predict();
  return evaluate();
}

}  // namespace

int main(int argc, char** argv) {
  dpt::kern::ensure_blas_coretype(argv);  // may re-exec: must run before anything else
  // Over a file-size limit a write should fail with EFBIG (reported, previous files kept), not
  // kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  dpt::Comm::init(&argc, &argv);
  const dpt::Comm world;
  dpt::log::init(world.rank(), false, false);
  int rc = 0;
  try {
    rc = run_cli(argc, argv, world.rank());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    spdlog::default_logger()->flush();
    if (world.size() > 1) dpt::Comm::abort(1);  // ends every rank, also those inside a collective
    rc = 1;
  }
  dpt::Comm::finalize();
  return rc;
}
