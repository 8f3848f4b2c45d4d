#include "comm/comm_settings.hpp"

#include <string>

#include "core/error.hpp"

namespace dpt {

const OptionTable& comm_options() {
  static const OptionTable t = {
      choice_spec("comm.overlap", "true",
                  "sum gradient buckets while backward runs (same bits as false); false: one allreduce after "
                  "backward (~2 % faster with 1 core per rank and no spare core); auto: the run's first steps "
                  "time both (5 warm-up steps, then 8 of each, alternated) and keep the faster, logging the "
                  "choice and the median step times",
                  {"true", "false", "auto"}),
      option_spec("comm.bucket_kb", OptType::Int, "256", "gradient bucket size in KiB for comm.overlap", 4),
      choice_spec("comm.progress", "thread",
                  "comm.overlap: what drives the bucket sums; thread: a communication thread runs blocking "
                  "allreduces in bucket order (needs MPI_THREAD_MULTIPLE); poll: MPI_Iallreduce polled between "
                  "layers (slower)",
                  {"poll", "thread"}),
      choice_spec("comm.compress", "none",
                  "gradients on the wire: none (float32); bf16 (bfloat16: half the bytes, each partial sum "
                  "rounded to 8 significant bits); powersgd (each weight matrix's sum as a rank-r product, "
                  "with error feedback: (n + m) r floats instead of n m; PowerSGD, docs/scaling.md). For slow "
                  "networks; neither with train.deterministic",
                  {"none", "bf16", "powersgd"}),
      option_spec("comm.powersgd_rank", OptType::Int, "4",
                  "comm.compress: powersgd: the rank r of each compressed matrix (higher: closer to the exact "
                  "sum, more bytes); a matrix is compressed only when that at least halves it",
                  1, 1024),
      choice_spec("comm.hierarchical", "auto",
                  "gradient sums in two levels: a reduce to one leader per node over shared memory, an all-reduce "
                  "among the leaders, a broadcast on the node; auto: when the job spans several nodes and some "
                  "node has several ranks (logged with the topology); on: whenever there are several ranks; off: "
                  "one flat all-reduce over all ranks. Same bits as flat with train.deterministic, within float "
                  "rounding otherwise; optimizer.shard's reduce-scatter stays flat",
                  {"auto", "on", "off"}),
  };
  return t;
}

const OptionTable& watchdog_options() {
  static const OptionTable t = {
      option_spec("runtime.heartbeat_timeout", OptType::Float, "60",
                  "abort the job when a rank's watchdog thread sends no heartbeat for this many seconds (process "
                  "stopped, frozen or unreachable; slow steps, checkpoints and evaluations never trigger it); 0: "
                  "off, else >= 1",
                  0),
      option_spec("runtime.watchdog_timeout", OptType::Float, "0",
                  "also abort when ranks wait this many seconds in a collective for a missing rank, naming it (0: "
                  "off, else >= 1)",
                  0),
  };
  return t;
}

CommSettings read_comm_settings(const Config& c) {
  CommSettings s;
  s.compress_bf16 = c.get_string("comm.compress") == "bf16";
  s.compress_powersgd = c.get_string("comm.compress") == "powersgd";
  s.powersgd_rank = c.get_int("comm.powersgd_rank");
  s.watchdog_timeout = c.get_float("runtime.watchdog_timeout");
  s.heartbeat_timeout = c.get_float("runtime.heartbeat_timeout");
  for (const char* key : {"runtime.watchdog_timeout", "runtime.heartbeat_timeout"}) {
    const double t = c.get_float(key);
    if (t > 0 && t < 1)
      fail("{}: {} = {} is out of range: must be 0 (off) or at least 1 (seconds)", c.origin(key), key, t);
  }
  s.overlap_auto = c.get_string("comm.overlap") == "auto";
  s.overlap = s.overlap_auto || c.get_string("comm.overlap") == "true";
  s.bucket_floats = c.get_int("comm.bucket_kb") * 1024 / 4;
  s.comm_thread = c.get_string("comm.progress") == "thread";
  const std::string h = c.get_string("comm.hierarchical");
  s.hierarchy = h == "on" ? Hierarchy::on : h == "off" ? Hierarchy::off : Hierarchy::automatic;
  return s;
}

}  // namespace dpt
