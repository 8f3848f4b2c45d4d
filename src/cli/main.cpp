// dptrain: distributed data-parallel training on MPI. main() is the only place that catches
// errors: it logs one "[rank r] error: ..." line per job and ends every rank (MPI_Abort), so a
// failing rank never leaves the others waiting in a collective.
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "cli/commands.hpp"
#include "comm/comm.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "kernels/blas_env.hpp"

namespace {

// DPTRAIN_WATCHDOG_TIMEOUT=SECONDS starts the watchdog with both limits (collective wait and
// heartbeat; 0 = off) for train, bench, evaluate and predict, ahead of train's config. Without it,
// evaluate and predict, which have no config of their own, get train's default: heartbeats only,
// runtime.heartbeat_timeout = 60 s; train and bench start theirs from the config.
constexpr double kDefaultHeartbeatTimeout = 60;
void start_watchdog(bool from_config) {
  const char* v = std::getenv("DPTRAIN_WATCHDOG_TIMEOUT");
  if (!v || !*v) {
    if (!from_config) dpt::Comm::start_watchdog(0, kDefaultHeartbeatTimeout);
    return;
  }
  char* end = nullptr;
  const double t = std::strtod(v, &end);
  if (*end || !(t >= 0)) dpt::fail("DPTRAIN_WATCHDOG_TIMEOUT='{}': expected seconds (>= 1; 0 = off)", v);
  if (t > 0) dpt::Comm::start_watchdog(t);
}

// Commands with one writer (prepare, plot, docs, inspect, export, compare, sweep-plan) run on rank 0 only. The other
// ranks wait in a broadcast of its outcome, so every rank leaves together: an error is rethrown on every rank (and
// printed once, by end_job).
int on_rank0(const dpt::cli::Run& run, const dpt::Comm& world) {
  std::string error;
  int rc = 0;
  if (world.rank() == 0) {
    try {
      rc = run();
    } catch (const std::exception& e) {
      error = e.what();
      rc = 1;
    }
  }
  if (world.size() > 1) {
    std::string status = error.empty() ? std::to_string(rc) : "E" + error;
    world.bcast(status, 0, "single-writer command");
    if (status[0] != 'E') return std::stoi(status);
    error = status.substr(1);
  }
  if (!error.empty()) throw dpt::Error(error);
  return rc;
}

// How long a rank other than 0 waits before it prints its own error. An error every rank detects
// (config, data checks, run directory) reaches every rank's handler within moments: rank 0 prints
// it and ends the job, so the other ranks are ended before they print and the line appears once.
// An error only one rank sees is printed by that rank, this much later.
constexpr auto kErrorGrace = std::chrono::milliseconds(2000);

// Prints "[rank r] error: message" once per job and ends every rank with `code`.
// (No Comm is made here: making one is collective, and the other ranks may be anywhere.)
int g_rank = 0, g_size = 1;
[[noreturn]] void end_job(const std::string& message, int code) {
  if (g_size > 1 && g_rank != 0) std::this_thread::sleep_for(kErrorGrace);
  spdlog::error("{}", message);
  spdlog::default_logger()->flush();
  // MPI_Abort ends every rank, also those inside a collective. On one rank too: after a failed
  // write, HDF5's exit-time close of the half-written file would crash a normal exit (MPI_Finalize,
  // atexit handlers), turning exit code 1 into a signal.
  std::fflush(nullptr);
  dpt::Comm::abort(code);
}

// CLI11's parse errors, worded like every other error: exit code 2, the subcommand named.
[[noreturn]] void end_job_usage(const CLI::App& app, const CLI::ParseError& e) {
  std::string where = "dptrain";
  for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
  end_job(fmt::format("{}: {} (see '{} --help')", where, e.what(), where), 2);
}

int run_cli(int argc, char** argv, int rank) {
  const dpt::Comm world;
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
  const dpt::cli::Run export_onnx = dpt::cli::add_export(app);
  const dpt::cli::Run lr_find = dpt::cli::add_lr_find(app);
  const dpt::cli::Run compare = dpt::cli::add_compare(app);
  const dpt::cli::Run sweep_plan = dpt::cli::add_sweep_plan(app);
  std::string known;
  bool is_command = argc < 2 || argv[1][0] == '-';
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    known += (known.empty() ? "" : ", ") + sub->get_name();
    is_command = is_command || sub->get_name() == argv[1];
  }
  if (!is_command) {
    end_job(fmt::format("dptrain: unknown command '{}' (commands: {}; see 'dptrain --help')", argv[1], known), 2);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return rank == 0 ? app.exit(e) : 0;
  } catch (const CLI::CallForAllHelp& e) {
    return rank == 0 ? app.exit(e) : 0;
  } catch (const CLI::CallForVersion& e) {
    return rank == 0 ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    end_job_usage(app, e);
  }
  // Single-process commands: under mpirun with several ranks, rank 0 does the work.
  if (app.got_subcommand("prepare")) return on_rank0(prepare, world);
  if (app.got_subcommand("plot")) return on_rank0(plot, world);
  if (app.got_subcommand("docs")) return on_rank0(docs, world);
  if (app.got_subcommand("inspect")) return on_rank0(inspect, world);
  if (app.got_subcommand("export")) return on_rank0(export_onnx, world);
  if (app.got_subcommand("compare")) return on_rank0(compare, world);
  if (app.got_subcommand("sweep-plan")) return on_rank0(sweep_plan, world);
  const bool from_config =
      app.got_subcommand("train") || app.got_subcommand("bench") || app.got_subcommand("lr-find");
  start_watchdog(from_config);
  if (app.got_subcommand("train")) return train();
  if (app.got_subcommand("bench")) return bench();
  if (app.got_subcommand("lr-find")) return lr_find();
  if (app.got_subcommand("predict")) return predict();
  return evaluate();
}

}  // namespace

int main(int argc, char** argv) {
  dpt::kern::ensure_blas_coretype(argv);  // may re-exec: must run before anything else
  // Over a file-size limit a write should fail with EFBIG (reported, previous files kept), not
  // kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  // Open MPI's banner after MPI_Abort ("MPI_ABORT was invoked on rank 1 ...") only repeats the
  // error line in more words: quiet it unless the user set this MCA parameter themselves.
  setenv("OMPI_MCA_orte_execute_quiet", "1", /*overwrite=*/0);
  dpt::Comm::init(&argc, &argv);
  const dpt::Comm world;
  g_rank = world.rank(), g_size = world.size();
  dpt::log::init(world.rank(), false, false);
  int rc = 0;
  try {
    rc = run_cli(argc, argv, world.rank());
  } catch (const std::bad_alloc&) {
    end_job(
        "out of memory (std::bad_alloc) on this rank: use fewer ranks per node, a smaller "
        "train.batch_size / train.eval_batch_size, or streaming (data.memory_budget)",
        1);
  } catch (const std::exception& e) {
    end_job(e.what(), 1);
  }
  dpt::Comm::finalize();
  return rc;
}
