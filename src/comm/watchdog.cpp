#include "comm/watchdog.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace dpt::detail {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

const char* op_name(Op op) {
  switch (op) {
    case Op::none:
      return "start";
    case Op::allreduce_sum:
      return "allreduce_sum";
    case Op::bcast:
      return "bcast";
    case Op::alltoallv:
      return "alltoallv";
    case Op::barrier:
      return "barrier";
    case Op::check_same:
      return "check_same";
    case Op::split:
      return "split";
    case Op::end_of_run:
      return "end of run";
    case Op::allgather:
      return "allgather";
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
Position g_pos;                    // guarded by g_pos_mutex while the watchdog runs
std::atomic<bool> g_watch{false};  // the watchdog runs: keep g_pos up to date

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

double clock_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

Report report_of(const Beat& b, double heard) {
  Report r;
  r.rank = b.rank, r.seq = b.seq, r.inside = b.inside != 0, r.op = b.op, r.count = b.count;
  r.what = std::string(b.what, strnlen(b.what, sizeof b.what));
  r.dtype = std::string(b.dtype, strnlen(b.dtype, sizeof b.dtype));
  r.heard = heard, r.since = heard - b.age_s;
  return r;
}

std::string describe(const Report& r) { return describe(r.seq, r.op, r.dtype.c_str(), r.count, r.what.c_str()); }

std::string rank_list(const std::vector<int>& r) {
  std::string s;
  for (size_t i = 0; i < r.size(); ++i) s += fmt::format("{}{}", i ? "," : "", r[i]);
  return s;
}

// Where a rank stands against collective `target`: the end of the run comes after every call.
uint64_t key(const Report& r) { return r.op == Op::end_of_run ? UINT64_MAX : r.seq; }
bool waits_in(const Report& r, uint64_t target) { return r.inside && key(r) == target; }
bool reached(const Report& r, uint64_t target) { return key(r) >= target; }  // in it, or past it

[[noreturn]] void watchdog_abort(const std::string& msg) {
  spdlog::error("watchdog: {}", msg);
  spdlog::default_logger()->flush();
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

class Watchdog {
 public:
  Watchdog(double wait_s, double silence_s, MPI_Comm comm) : wait_(wait_s), silence_(silence_s), comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    interval_ = std::min(1.0, std::min(silence_, wait_ > 0 ? wait_ : silence_) / 4);
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
    const double t0 = clock_s();
    std::vector<Report> known(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) known[r].heard = known[r].since = t0, known[r].rank = r;
    std::vector<MPI_Request> sends(static_cast<size_t>(size_), MPI_REQUEST_NULL);
    std::vector<Beat> out(static_cast<size_t>(size_));
    std::vector<bool> acked(static_cast<size_t>(size_), false);
    std::vector<uint64_t> warned;
    Beat in;
    MPI_Request rreq;
    MPI_Irecv(&in, sizeof in, MPI_BYTE, MPI_ANY_SOURCE, kTag, comm_, &rreq);
    double last_send = t0 - 3600;
    bool releasing = false;
    int acks = 0;
    for (;;) {
      // 1. everything that arrived
      for (int flag = 1; flag;) {
        MPI_Test(&rreq, &flag, MPI_STATUS_IGNORE);
        if (!flag) break;
        if (in.kind == Beat::ack) {
          if (!acked[in.rank]) acked[in.rank] = true, ++acks;
        } else {
          known[in.rank] = report_of(in, clock_s());
        }
        if (releasing && acks == size_ - 1) {  // all acknowledged: nothing more will come
          for (auto& s : sends) MPI_Wait(&s, MPI_STATUS_IGNORE);
          return;
        }
        MPI_Irecv(&in, sizeof in, MPI_BYTE, MPI_ANY_SOURCE, kTag, comm_, &rreq);
      }
      const double now = clock_s();
      const Beat mine = snapshot(0);
      known[0] = report_of(mine, now);
      // 2. every rank at the end of the run: release them
      if (!releasing &&
          std::all_of(known.begin(), known.end(), [](const Report& k) { return k.inside && k.op == Op::end_of_run; })) {
        releasing = true;
        for (int r = 1; r < size_; ++r) {
          MPI_Wait(&sends[r], MPI_STATUS_IGNORE);
          out[r] = mine, out[r].kind = Beat::release;
          MPI_Isend(&out[r], sizeof(Beat), MPI_BYTE, r, kTag, comm_, &sends[r]);
        }
      }
      // 3. heartbeats to the other ranks
      if (!releasing && now - last_send >= interval_) {
        last_send = now;
        for (int r = 1; r < size_; ++r) {
          if (!done(sends[r])) continue;  // the last one is still on its way: do not pile up
          out[r] = mine;
          MPI_Isend(&out[r], sizeof(Beat), MPI_BYTE, r, kTag, comm_, &sends[r]);
        }
      }
      judge(known, acked, releasing, now, warned);  // 4. and 5.: aborts if need be
      sleep();
    }
  }

  // 4. silent ranks; 5. ranks waiting in a collective for ranks that have not entered it
  void judge(const std::vector<Report>& known, const std::vector<bool>& acked, bool releasing, double now,
             std::vector<uint64_t>& warned) const {
    for (int r = 1; r < size_; ++r) {
      if (releasing && acked[r]) continue;
      const double quiet = now - known[r].heard;
      if (quiet > silence_)
        watchdog_abort(
            fmt::format("rank {} sent no heartbeat for {:.1f} s (its process is stopped, hung outside "
                        "MPI's reach or unreachable); its last report said: {}",
                        r, quiet, state_of(known[r], known[r].heard)));
    }
    if (releasing || wait_ <= 0) return;
    const Verdict v = judge_waits(known, now, wait_);
    if (v.kind == Verdict::abort) watchdog_abort(v.message);
    if (v.kind == Verdict::slow && std::find(warned.begin(), warned.end(), v.seq) == warned.end()) {
      warned.push_back(v.seq);
      spdlog::warn("watchdog: {}", v.message);
    }
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
      if (quiet > silence_) {
        const Beat me = snapshot(rank_);
        watchdog_abort(
            fmt::format("rank 0 sent no heartbeat for {:.1f} s (its process is stopped, hung outside "
                        "MPI's reach or unreachable); this rank is {} {}",
                        quiet, me.inside ? "waiting in" : "past", describe(report_of(me, 0))));
      }
      sleep();
    }
  }

  double wait_, silence_, interval_ = 1;
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  std::atomic<bool> ending_{false};
  std::thread thread_;
};

std::unique_ptr<Watchdog> g_watchdog;  // main thread only

}  // namespace

std::string describe(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what) {
  std::string s = fmt::format("{} #{}", op_name(op), seq);
  if (what && *what) s += fmt::format(" ({})", what);
  if (op != Op::barrier && op != Op::end_of_run && op != Op::none && *dtype)
    s += fmt::format(" [{} x {}]", dtype, count);
  return s;
}

void watch_enter(uint64_t seq, Op op, const char* dtype, int64_t count, const char* what) {
  if (!g_watch.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(g_pos_mutex);
  g_pos = Position{seq, true, op, dtype, count, what, Clock::now()};
}

void watch_leave() {
  if (!g_watch.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(g_pos_mutex);
  g_pos.inside = false;
  g_pos.since = Clock::now();
}

std::string state_of(const Report& r, double at) {
  const double age = at - r.since;
  if (r.inside) return fmt::format("waiting in {} for {:.1f} s", describe(r), age);
  if (r.seq == 0) return fmt::format("not yet in any collective ({:.1f} s after the watchdog started)", age);
  return fmt::format("outside any collective (computing) for {:.1f} s, since it left {}", age, describe(r));
}

Verdict judge_waits(const std::vector<Report>& ranks, double now, double wait_s) {
  // the furthest collective in which some rank reported a wait longer than the limit
  const Report* first = nullptr;
  for (const Report& k : ranks)
    if (k.inside && k.heard - k.since > wait_s && (!first || key(k) > key(*first))) first = &k;
  if (!first) return {};
  const uint64_t target = key(*first);
  std::vector<int> waiting, missing;
  double entered = now;
  for (const Report& k : ranks) {
    if (waits_in(k, target))
      waiting.push_back(k.rank), entered = std::min(entered, k.since);
    else if (!reached(k, target))
      missing.push_back(k.rank);
  }
  if (missing.empty())  // every rank is in it or past it: MPI or the network is slow or stuck
    return {Verdict::slow, target,
            fmt::format("every rank has reached {} and rank{} {} waited in it for more than {} s (slow network "
                        "or MPI?)",
                        describe(*first), waiting.size() > 1 ? "s" : "", rank_list(waiting), wait_s)};
  // Decide only on news: each missing rank was heard from after the wait passed the limit (so it
  // really was elsewhere), or has been silent for longer than the limit (the suspect).
  for (int r : missing)
    if (ranks[r].heard < entered + wait_s && now - ranks[r].heard <= wait_s) return {};
  std::string msg = fmt::format("rank{} {} did not reach {} within {} s (rank{} {} waiting for {:.1f} s)",
                                missing.size() > 1 ? "s" : "", rank_list(missing), describe(*first), wait_s,
                                waiting.size() > 1 ? "s" : "", rank_list(waiting), now - entered);
  for (int r : missing) {
    const Report& k = ranks[r];
    if (k.heard < entered + wait_s)
      msg += fmt::format("; rank {} sent no heartbeat for {:.1f} s, its last report said: {}", r, now - k.heard,
                         state_of(k, k.heard));
    else
      msg += fmt::format("; rank {} is {}", r, state_of(k, now));
  }
  return {Verdict::abort, target, msg};
}

void start_watchdog(double wait_s, double heartbeat_s, uint64_t calls_so_far) {
  for (double t : {wait_s, heartbeat_s})
    if (!(t == 0 || t >= 1)) fail("watchdog timeout {} s: must be 0 (off) or at least 1 s", t);
  if (g_watchdog || (wait_s == 0 && heartbeat_s == 0)) return;
  int size = 1, provided = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size == 1) return;  // nobody to wait for
  MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_MULTIPLE) {
    spdlog::warn("watchdog not started: this MPI does not provide MPI_THREAD_MULTIPLE");
    return;
  }
  MPI_Comm dup;
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &dup), "Comm_dup");
  {
    std::lock_guard lock(g_pos_mutex);
    g_pos = Position{calls_so_far, false, Op::none, "", 0, nullptr, Clock::now()};
  }
  g_watch.store(true);
  const double silence_s = heartbeat_s > 0 ? heartbeat_s : wait_s;
  g_watchdog = std::make_unique<Watchdog>(wait_s, silence_s, dup);
  if (wait_s > 0)
    spdlog::info(
        "watchdog: on: a rank silent for {} s ends the job, and so does a wait of {} s in a collective for "
        "a rank that has not entered it",
        silence_s, wait_s);
  else
    spdlog::info(
        "watchdog: on: a rank silent for {} s ends the job (heartbeats from a thread; slow steps never "
        "trigger it; collective waits are not timed)",
        silence_s);
}

void stop_watchdog() {
  if (!g_watchdog) return;
  g_watchdog->stop();
  g_watch.store(false);
  MPI_Comm c = g_watchdog->comm();
  g_watchdog.reset();
  MPI_Comm_free(&c);
}

bool watchdog_running() { return g_watchdog != nullptr; }

}  // namespace dpt::detail
