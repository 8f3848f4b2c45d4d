#include "comm/comm.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "core/error.hpp"

namespace dpt {

namespace {
// MPI counts are int: split larger buffers into chunks.
template <class T, class F>
void chunked(T* buf, int64_t n, F&& f) {
  constexpr int64_t kMax = INT_MAX / 2;
  for (int64_t off = 0; off < n; off += kMax) f(buf + off, static_cast<int>(std::min(kMax, n - off)));
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    fail("MPI {} failed: {}", what, std::string(msg, static_cast<size_t>(len)));
  }
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ---- what this rank is doing, for the watchdog -------------------------------------------------

enum class Op : int32_t { none, allreduce_sum, bcast, alltoallv, barrier, check_same, split, end_of_run };
const char* op_name(Op op) {
  switch (op) {
    case Op::none: return "start";
    case Op::allreduce_sum: return "allreduce_sum";
    case Op::bcast: return "bcast";
    case Op::alltoallv: return "alltoallv";
    case Op::barrier: return "barrier";
    case Op::check_same: return "check_same";
    case Op::split: return "split";
    case Op::end_of_run: return "end of run";
  }
  return "?";
}

// The main thread's position: the collective call it is in (inside) or last left. Written at the
// entry and exit of every collective, read by the watchdog thread; a mutex nobody else holds
// except for a moment once per poll of the watchdog costs ~20 ns.
struct Position {
  uint64_t seq = 0;  // number of the collective call (1-based); 0 before the first
  bool inside = false;
  Op op = Op::none;
  const char* dtype = "";
  int64_t count = 0;
  const char* what = nullptr;
  Clock::time_point since = Clock::now();  // entered (inside) or left (outside)
};
std::mutex g_pos_mutex;
Position g_pos;                            // guarded by g_pos_mutex while the watchdog runs
std::atomic<bool> g_watch{false};          // the watchdog runs: keep g_pos up to date
uint64_t g_calls = 0;                      // collective calls so far (main thread only)

// ---- test-only fault injection (DPTRAIN_FAULT) ---------------------------------------------------

enum class FaultKind { none, stall, sleep, throw_, exit, kill };
struct Fault {
  FaultKind kind = FaultKind::none;
  int rank = -1;  // -1: every rank
  uint64_t call = 0;
  double secs = 0;
};
Fault g_fault;
std::once_flag g_fault_once;

Fault parse_fault(const std::string& spec) {
  Fault f;
  auto bad = [&](const std::string& why) {
    fail("DPTRAIN_FAULT='{}': {} (expected KIND:rank=R:call=N[:secs=S] with KIND stall, sleep, throw, exit "
         "or kill, R a rank or *, N >= 1; test-only)", spec, why);
  };
  size_t pos = 0;
  bool have_rank = false, have_call = false;
  for (int field = 0; pos <= spec.size(); ++field) {
    const size_t end = std::min(spec.find(':', pos), spec.size());
    const std::string tok = spec.substr(pos, end - pos);
    pos = end + 1;
    if (field == 0) {
      if (tok == "stall") f.kind = FaultKind::stall;
      else if (tok == "sleep") f.kind = FaultKind::sleep;
      else if (tok == "throw") f.kind = FaultKind::throw_;
      else if (tok == "exit") f.kind = FaultKind::exit;
      else if (tok == "kill") f.kind = FaultKind::kill;
      else bad("unknown kind '" + tok + "'");
      continue;
    }
    const size_t eq = tok.find('=');
    if (eq == std::string::npos) bad("'" + tok + "' is not key=value");
    const std::string key = tok.substr(0, eq), val = tok.substr(eq + 1);
    char* e = nullptr;
    if (key == "rank") {
      have_rank = true;
      if (val == "*") f.rank = -1;
      else if ((f.rank = static_cast<int>(std::strtol(val.c_str(), &e, 10))) < 0 || val.empty() || *e) bad("bad rank");
    } else if (key == "call") {
      have_call = true;
      f.call = std::strtoull(val.c_str(), &e, 10);
      if (f.call < 1 || val.empty() || *e) bad("bad call");
    } else if (key == "secs") {
      f.secs = std::strtod(val.c_str(), &e);
      if (!(f.secs >= 0) || val.empty() || *e) bad("bad secs");
    } else {
      bad("unknown key '" + key + "'");
    }
  }
  if (!have_rank || !have_call) bad("rank= and call= are required");
  return f;
}

void read_fault_once() {
  std::call_once(g_fault_once, [] {
    const char* v = std::getenv("DPTRAIN_FAULT");
    if (!v || !*v) return;
    try {
      g_fault = parse_fault(v);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      spdlog::default_logger()->flush();
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  });
}

std::string describe(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what) {
  std::string s = fmt::format("{} #{}", op_name(op), seq);
  if (what && *what) s += fmt::format(" ({})", what);
  if (op != Op::barrier && op != Op::end_of_run && op != Op::none && *dtype) s += fmt::format(" [{} x {}]", dtype, count);
  return s;
}

void inject(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what) {
  const Fault& f = g_fault;
  if (f.rank >= 0 && f.rank != process_rank()) return;
  const std::string at = describe(seq, op, dtype, count, what);
  switch (f.kind) {
    case FaultKind::none: return;
    case FaultKind::stall:
      spdlog::warn("DPTRAIN_FAULT (test-only): stalling forever before {}", at);
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    case FaultKind::sleep:
      spdlog::warn("DPTRAIN_FAULT (test-only): sleeping {} s before {}", f.secs, at);
      std::this_thread::sleep_for(std::chrono::duration<double>(f.secs));
      return;
    case FaultKind::throw_:
      fail("DPTRAIN_FAULT (test-only): injected error before {}", at);
    case FaultKind::exit:
      spdlog::warn("DPTRAIN_FAULT (test-only): exiting with code 3 before {}, without MPI_Finalize", at);
      spdlog::default_logger()->flush();
      std::_Exit(3);
    case FaultKind::kill:
      spdlog::warn("DPTRAIN_FAULT (test-only): SIGKILL to myself before {}", at);
      spdlog::default_logger()->flush();
      std::raise(SIGKILL);
      return;
  }
}

// Marks one collective call: counts it, applies an injected fault, and tells the watchdog.
class Collective {
 public:
  Collective(Op op, const char* dtype, int64_t count, const char* what) {
    const uint64_t seq = ++g_calls;
    if (g_fault.kind != FaultKind::none && g_fault.call == seq) inject(seq, op, dtype, count, what);
    if (g_watch.load(std::memory_order_relaxed)) {
      std::lock_guard lock(g_pos_mutex);
      g_pos = Position{seq, true, op, dtype, count, what, Clock::now()};
    }
  }
  ~Collective() {
    if (g_watch.load(std::memory_order_relaxed)) {
      std::lock_guard lock(g_pos_mutex);
      g_pos.inside = false;
      g_pos.since = Clock::now();
    }
  }
  Collective(const Collective&) = delete;
  Collective& operator=(const Collective&) = delete;
};

// ---- the watchdog ----------------------------------------------------------------------------------

// One heartbeat, sent as bytes between the watchdog threads (same binary on every rank).
struct Beat {
  enum Kind : int32_t { state, release, ack };
  int32_t kind = state;
  int32_t rank = 0;
  uint64_t seq = 0;
  int32_t inside = 0;
  Op op = Op::none;
  int64_t count = 0;
  double age_s = 0;  // seconds since it entered (inside) or left the collective: clocks need not agree
  char what[48] = {};
  char dtype[16] = {};
};
constexpr int kTag = 7301;

Beat snapshot(int rank) {
  Beat b;
  b.rank = rank;
  std::lock_guard lock(g_pos_mutex);
  b.seq = g_pos.seq, b.inside = g_pos.inside, b.op = g_pos.op, b.count = g_pos.count;
  b.age_s = seconds_since(g_pos.since);
  if (g_pos.what) std::strncpy(b.what, g_pos.what, sizeof b.what - 1);
  std::strncpy(b.dtype, g_pos.dtype, sizeof b.dtype - 1);
  return b;
}

// What rank 0 knows of one rank: its last beat and when it was received (rank 0's clock).
struct Known {
  Beat beat;
  Clock::time_point heard;  // when the beat arrived
  Clock::time_point since;  // heard - age: when it entered/left that collective, on rank 0's clock
};

std::string describe(const Beat& b) { return describe(b.seq, b.op, b.dtype, b.count, b.what); }

std::string rank_list(const std::vector<int>& r) {
  std::string s;
  for (size_t i = 0; i < r.size(); ++i) s += fmt::format("{}{}", i ? "," : "", r[i]);
  return s;
}

[[noreturn]] void watchdog_abort(const std::string& msg) {
  spdlog::error("watchdog: {}", msg);
  spdlog::default_logger()->flush();
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

class Watchdog {
 public:
  Watchdog(double timeout_s, MPI_Comm comm) : timeout_(timeout_s), comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    interval_ = std::min(1.0, timeout_ / 4);
    thread_ = std::thread([this] { rank_ == 0 ? run_root() : run_other(); });
  }
  // Called by the main thread: marks this rank as arrived at the end of the run and waits until
  // the watchdog threads of all ranks agreed to stop.
  void stop() {
    {
      std::lock_guard lock(g_pos_mutex);
      g_pos = Position{g_pos.seq + 1, true, Op::end_of_run, "", 0, nullptr, Clock::now()};
    }
    ending_.store(true);  // report it at once and poll faster: the run ends as soon as all agree
    thread_.join();
  }
  MPI_Comm comm() const { return comm_; }

 private:
  static bool done(MPI_Request& r) {
    if (r == MPI_REQUEST_NULL) return true;
    int flag = 0;
    MPI_Test(&r, &flag, MPI_STATUS_IGNORE);
    return flag != 0;
  }
  void sleep() const { std::this_thread::sleep_for(std::chrono::milliseconds(ending_.load() ? 2 : 50)); }

  // Rank 0: gathers every rank's state and decides.
  void run_root() {
    const auto t0 = Clock::now();
    std::vector<Known> known(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) known[r].heard = known[r].since = t0, known[r].beat.rank = r;
    std::vector<MPI_Request> sends(static_cast<size_t>(size_), MPI_REQUEST_NULL);
    std::vector<Beat> out(static_cast<size_t>(size_));
    std::vector<bool> acked(static_cast<size_t>(size_), false);
    std::vector<uint64_t> warned;
    Beat in;
    MPI_Request rreq;
    MPI_Irecv(&in, sizeof in, MPI_BYTE, MPI_ANY_SOURCE, kTag, comm_, &rreq);
    auto last_send = t0 - std::chrono::hours(1);
    bool releasing = false;
    int acks = 0;
    for (;;) {
      // 1. everything that arrived
      for (int flag = 1; flag;) {
        MPI_Test(&rreq, &flag, MPI_STATUS_IGNORE);
        if (!flag) break;
        const auto now = Clock::now();
        if (in.kind == Beat::ack) {
          if (!acked[in.rank]) acked[in.rank] = true, ++acks;
        } else {
          Known& k = known[in.rank];
          k.beat = in, k.heard = now;
          k.since = now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(in.age_s));
        }
        if (releasing && acks == size_ - 1) {  // all acknowledged: nothing more will come
          for (auto& s : sends) MPI_Wait(&s, MPI_STATUS_IGNORE);
          return;
        }
        MPI_Irecv(&in, sizeof in, MPI_BYTE, MPI_ANY_SOURCE, kTag, comm_, &rreq);
      }
      const auto now = Clock::now();
      Known& me = known[0];
      me.beat = snapshot(0), me.heard = now;
      me.since = now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(me.beat.age_s));
      // 2. every rank at the end of the run: release them
      if (!releasing && std::all_of(known.begin(), known.end(), [](const Known& k) {
            return k.beat.inside && k.beat.op == Op::end_of_run;
          })) {
        releasing = true;
        for (int r = 1; r < size_; ++r) {
          MPI_Wait(&sends[r], MPI_STATUS_IGNORE);
          out[r] = me.beat, out[r].kind = Beat::release;
          MPI_Isend(&out[r], sizeof(Beat), MPI_BYTE, r, kTag, comm_, &sends[r]);
        }
      }
      // 3. heartbeats to the other ranks
      if (!releasing && seconds_since(last_send) >= interval_) {
        last_send = now;
        for (int r = 1; r < size_; ++r) {
          if (!done(sends[r])) continue;  // the last one is still on its way: do not pile up
          out[r] = me.beat;
          MPI_Isend(&out[r], sizeof(Beat), MPI_BYTE, r, kTag, comm_, &sends[r]);
        }
      }
      // 4. silent ranks
      for (int r = 1; r < size_; ++r) {
        if (releasing && acked[r]) continue;
        const double quiet = std::chrono::duration<double>(now - known[r].heard).count();
        if (quiet > timeout_)
          watchdog_abort(fmt::format("rank {} sent no heartbeat for {:.1f} s (its process is stopped, hung outside "
                                     "MPI's reach or unreachable); its last report said: {}",
                                     r, quiet, state_of(known[r], known[r].heard)));
      }
      // 5. ranks waiting in a collective for ranks that have not entered it
      if (!releasing) check_waits(known, now, warned);
      sleep();
    }
  }

  static uint64_t key(const Beat& b) { return b.op == Op::end_of_run ? UINT64_MAX : b.seq; }

  std::string state_of(const Known& k, Clock::time_point now) const {
    const double age = std::chrono::duration<double>(now - k.since).count();
    if (k.beat.inside) return fmt::format("waiting in {} for {:.1f} s", describe(k.beat), age);
    if (k.beat.seq == 0) return fmt::format("not yet in any collective ({:.1f} s after the watchdog started)", age);
    return fmt::format("outside any collective (computing) for {:.1f} s, since it left {}", age, describe(k.beat));
  }

  void check_waits(const std::vector<Known>& known, Clock::time_point now, std::vector<uint64_t>& warned) const {
    // the furthest collective that some rank has waited in for longer than the timeout
    const auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_));
    const Known* first = nullptr;
    for (const Known& k : known)
      if (k.beat.inside && now - k.since > limit && (!first || key(k.beat) > key(first->beat))) first = &k;
    if (!first) return;
    const uint64_t target = key(first->beat);
    std::vector<int> waiting, missing;
    Clock::time_point entered = now;
    for (const Known& k : known) {
      if (k.beat.inside && key(k.beat) == target) {
        waiting.push_back(k.beat.rank), entered = std::min(entered, k.since);
      } else {
        missing.push_back(k.beat.rank);
      }
    }
    if (missing.empty()) {  // all ranks in it: MPI or the network is slow or stuck; not ours to judge
      if (std::find(warned.begin(), warned.end(), target) == warned.end()) {
        warned.push_back(target);
        spdlog::warn("watchdog: every rank has been in {} for more than {} s (slow network or MPI?)",
                     describe(first->beat), timeout_);
      }
      return;
    }
    // Decide only on news: each missing rank was last heard from after the wait passed the timeout,
    // so it really had not arrived while the others had waited that long.
    for (int r : missing)
      if (known[r].heard < entered + limit) return;
    const double waited = std::chrono::duration<double>(now - entered).count();
    std::string msg = fmt::format("rank{} {} did not reach {} within {} s (rank{} {} waiting for {:.1f} s)",
                                  missing.size() > 1 ? "s" : "", rank_list(missing), describe(first->beat), timeout_,
                                  waiting.size() > 1 ? "s" : "", rank_list(waiting), waited);
    for (int r : missing) msg += fmt::format("; rank {} is {}", r, state_of(known[r], now));
    watchdog_abort(msg);
  }

  // Ranks 1..P-1: report to rank 0, watch that rank 0 still talks.
  void run_other() {
    Beat out, ack, in;
    MPI_Request sreq = MPI_REQUEST_NULL, rreq;
    MPI_Irecv(&in, sizeof in, MPI_BYTE, 0, kTag, comm_, &rreq);
    auto heard = Clock::now();
    auto last_send = heard - std::chrono::hours(1);
    bool told_end = false;
    for (;;) {
      for (int flag = 1; flag;) {
        MPI_Test(&rreq, &flag, MPI_STATUS_IGNORE);
        if (!flag) break;
        heard = Clock::now();
        if (in.kind == Beat::release) {  // every rank is at the end: acknowledge and stop
          MPI_Wait(&sreq, MPI_STATUS_IGNORE);
          ack.kind = Beat::ack, ack.rank = rank_;
          MPI_Send(&ack, sizeof ack, MPI_BYTE, 0, kTag, comm_);
          return;
        }
        MPI_Irecv(&in, sizeof in, MPI_BYTE, 0, kTag, comm_, &rreq);
      }
      const auto now = Clock::now();
      const bool tell_end = !told_end && ending_.load();
      if ((tell_end || seconds_since(last_send) >= interval_) && done(sreq)) {
        last_send = now;
        told_end = told_end || tell_end;
        out = snapshot(rank_);
        MPI_Isend(&out, sizeof out, MPI_BYTE, 0, kTag, comm_, &sreq);
      }
      const double quiet = std::chrono::duration<double>(now - heard).count();
      if (quiet > timeout_) {
        const Beat me = snapshot(rank_);
        watchdog_abort(fmt::format("rank 0 sent no heartbeat for {:.1f} s (its process is stopped, hung outside "
                                   "MPI's reach or unreachable); this rank is {} {}",
                                   quiet, me.inside ? "waiting in" : "past", describe(me)));
      }
      sleep();
    }
  }

  double timeout_, interval_ = 1;
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  std::atomic<bool> ending_{false};
  std::thread thread_;
};

std::unique_ptr<Watchdog> g_watchdog;  // main thread only
bool g_thread_multiple = false;

}  // namespace

void Comm::init(int* argc, char*** argv) {
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  g_thread_multiple = provided >= MPI_THREAD_MULTIPLE;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  set_process_rank(rank);
}

void Comm::finalize() {
  int done = 0;
  MPI_Finalized(&done);
  if (done) return;
  stop_watchdog();
  MPI_Finalize();
}

bool Comm::initialized() {
  int init = 0;
  MPI_Initialized(&init);
  return init != 0;
}

void Comm::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

void Comm::start_watchdog(double timeout_s) {
  if (!(timeout_s >= 1)) fail("watchdog timeout {} s: must be at least 1 s", timeout_s);
  if (g_watchdog) return;
  int size = 1, provided = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size == 1) return;  // nobody to wait for
  MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_MULTIPLE) {
    spdlog::warn("watchdog not started: this MPI does not provide MPI_THREAD_MULTIPLE");
    return;
  }
  MPI_Comm dup;
  check(MPI_Comm_dup(MPI_COMM_WORLD, &dup), "Comm_dup");
  {
    std::lock_guard lock(g_pos_mutex);
    g_pos = Position{g_calls, false, Op::none, "", 0, nullptr, Clock::now()};
  }
  g_watch.store(true);
  g_watchdog = std::make_unique<Watchdog>(timeout_s, dup);
  spdlog::info("watchdog: on, timeout {} s (aborts the job when a rank waits that long in a collective for a "
               "rank that is not there, or a rank goes silent)", timeout_s);
}

void Comm::stop_watchdog() {
  if (!g_watchdog) return;
  g_watchdog->stop();
  g_watch.store(false);
  MPI_Comm c = g_watchdog->comm();
  g_watchdog.reset();
  MPI_Comm_free(&c);
}

bool Comm::watchdog_running() { return g_watchdog != nullptr; }
uint64_t Comm::collective_calls() { return g_calls; }

struct Comm::Impl {
  MPI_Comm comm = MPI_COMM_WORLD;
  ~Impl() {
    int done = 0;
    MPI_Finalized(&done);
    if (comm != MPI_COMM_WORLD && !done) MPI_Comm_free(&comm);
  }
};

Comm::Comm() : Comm(std::make_shared<Impl>()) {}

Comm::Comm(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {
  read_fault_once();
  MPI_Comm_rank(impl_->comm, &rank_);
  MPI_Comm_size(impl_->comm, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(impl_->comm, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
}

const void* Comm::native_handle() const { return &impl_->comm; }

Comm Comm::split(int color) const {
  auto impl = std::make_shared<Impl>();
  {
    Collective c(Op::split, "", 0, nullptr);
    check(MPI_Comm_split(impl_->comm, color, rank_, &impl->comm), "Comm_split");
  }
  return Comm(std::move(impl));
}

void Comm::allreduce_sum(float* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "float", n, what);
  chunked(buf, n, [c = impl_->comm](float* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_FLOAT, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_sum(double* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "double", n, what);
  chunked(buf, n, [c = impl_->comm](double* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_DOUBLE, MPI_SUM, c), "Allreduce");
  });
}
void Comm::allreduce_sum(int64_t* buf, int64_t n, const char* what) const {
  Collective c(Op::allreduce_sum, "int64", n, what);
  chunked(buf, n, [c = impl_->comm](int64_t* p, int k) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, k, MPI_INT64_T, MPI_SUM, c), "Allreduce");
  });
}

void Comm::bcast(float* buf, int64_t n, int root, const char* what) const {
  Collective c(Op::bcast, "float", n, what);
  chunked(buf, n, [root, c = impl_->comm](float* p, int k) { check(MPI_Bcast(p, k, MPI_FLOAT, root, c), "Bcast"); });
}

void Comm::bcast(std::string& s, int root, const char* what) const {
  Collective c(Op::bcast, "string", static_cast<int64_t>(s.size()), what);
  int64_t len = static_cast<int64_t>(s.size());
  check(MPI_Bcast(&len, 1, MPI_INT64_T, root, impl_->comm), "Bcast");
  s.resize(static_cast<size_t>(len));
  chunked(s.data(), len, [root, c = impl_->comm](char* p, int k) { check(MPI_Bcast(p, k, MPI_CHAR, root, c), "Bcast"); });
}

void Comm::alltoallv_rows(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                          const std::vector<int64_t>& recv_counts, int64_t row_bytes, const char* what) const {
  std::vector<int> sc(static_cast<size_t>(size_)), sd(sc.size()), rc(sc.size()), rd(sc.size());
  int64_t so = 0, ro = 0;
  for (int q = 0; q < size_; ++q) {
    if (so + send_counts[q] > INT_MAX || ro + recv_counts[q] > INT_MAX)
      fail("alltoallv: more than {} rows per rank", INT_MAX);
    sc[q] = static_cast<int>(send_counts[q]), sd[q] = static_cast<int>(so), so += send_counts[q];
    rc[q] = static_cast<int>(recv_counts[q]), rd[q] = static_cast<int>(ro), ro += recv_counts[q];
  }
  Collective c(Op::alltoallv, "rows sent", so, what);
  MPI_Datatype row;
  MPI_Type_contiguous(static_cast<int>(row_bytes), MPI_BYTE, &row);
  MPI_Type_commit(&row);
  const int rc_all = MPI_Alltoallv(send, sc.data(), sd.data(), row, recv, rc.data(), rd.data(), row, impl_->comm);
  MPI_Type_free(&row);
  check(rc_all, "Alltoallv");
}

void Comm::barrier(const char* what) const {
  Collective c(Op::barrier, "", 0, what);
  check(MPI_Barrier(impl_->comm), "Barrier");
}

void Comm::check_same(uint64_t value, const std::string& what) const {
  // max(v) and max(-v) = -min(v) in one call; values are compared as two 32-bit halves.
  int64_t hi = static_cast<int64_t>(value >> 32), lo = static_cast<int64_t>(value & 0xffffffffu);
  int64_t v[4] = {hi, -hi, lo, -lo};
  {
    Collective c(Op::check_same, "", 0, nullptr);
    check(MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_INT64_T, MPI_MAX, impl_->comm), "Allreduce");
  }
  if (v[0] != -v[1] || v[2] != -v[3])
    fail("the ranks disagree about the {} (each rank must be started with the same inputs)", what);
}

double wall_time() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Comm::gatherv_rows(const void* send, const std::vector<int64_t>& counts, void* recv, int64_t row_bytes,
                        int root, const char* what) const {
  if (static_cast<int>(counts.size()) != size_ || root < 0 || root >= size_)
    fail("gatherv_rows: {} counts for {} ranks, root {}", counts.size(), size_, root);
  std::vector<int64_t> send_counts(static_cast<size_t>(size_), 0), recv_counts(send_counts);
  send_counts[root] = counts[rank_];
  if (rank_ == root) recv_counts = counts;
  alltoallv_rows(send, send_counts, recv, recv_counts, row_bytes, what ? what : "gatherv_rows");
}

void Comm::wait_requests(void* requests, int n, const char* what) const {
  Collective c(Op::allreduce_sum, "buckets", n, what);  // shown as "allreduce_sum #k (what) [buckets x n]"
  check(MPI_Waitall(n, static_cast<MPI_Request*>(requests), MPI_STATUSES_IGNORE), "Waitall");
}

}  // namespace dpt
