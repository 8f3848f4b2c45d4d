// The watchdog's judgement (rank 0's decision on the waits in collectives, from the ranks' last
// reports) and its limits. The end-to-end cases (stalled, stopped, slow ranks): tests/cluster/failure.sh.
#include <gtest/gtest.h>

#include "comm/comm.hpp"
#include "comm/watchdog.hpp"
#include "core/error.hpp"

using dpt::detail::judge_waits;
using dpt::detail::Op;
using dpt::detail::Report;
using dpt::detail::Verdict;

namespace {
Report inside(int rank, uint64_t seq, double since, double heard) {
  Report r;
  r.rank = rank, r.seq = seq, r.inside = true, r.op = Op::allreduce_sum, r.dtype = "float", r.count = 4;
  r.since = since, r.heard = heard;
  return r;
}
Report outside(int rank, uint64_t left, double since, double heard) {
  Report r = inside(rank, left, since, heard);
  r.inside = false;
  return r;
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

// Rank 0 stopped for 1.5 s while rank 1 waited for it in #68 (rank 1 said so at 11.4); rank 1
// then left #68 and froze before its next heartbeat; rank 0 waits in #114. Rank 1 is the suspect.
TEST(WatchdogJudge, NamesTheSilentRankNotTheOneThatWentPast) {
  const std::vector<Report> ranks{inside(0, 114, 12.0, 15.5), inside(1, 68, 10.0, 11.4)};
  const Verdict v = judge_waits(ranks, 15.5, 3);
  ASSERT_EQ(v.kind, Verdict::abort) << v.message;
  EXPECT_TRUE(
      has(v.message, "rank 1 did not reach allreduce_sum #114 [float x 4] within 3 s (rank 0 waiting for 3.5 s)"))
      << v.message;
  EXPECT_TRUE(has(v.message, "rank 1 sent no heartbeat for 4.1 s, its last report said: waiting in allreduce_sum #68"))
      << v.message;
  EXPECT_FALSE(has(v.message, "rank 0 did not reach")) << v.message;
  // before rank 0 has waited 3 s, nothing: rank 1's old wait is not extrapolated
  EXPECT_EQ(judge_waits({inside(0, 114, 12.0, 14.9), ranks[1]}, 14.9, 3).kind, Verdict::none);
}

TEST(WatchdogJudge, NamesAStalledRankFromAFreshReport) {
  const std::vector<Report> ranks{outside(0, 19, 9.0, 14.0), inside(1, 20, 10.0, 14.0)};
  const Verdict v = judge_waits(ranks, 14.0, 3);
  ASSERT_EQ(v.kind, Verdict::abort);
  EXPECT_TRUE(
      has(v.message, "rank 0 did not reach allreduce_sum #20 [float x 4] within 3 s (rank 1 waiting for 4.0 s)"))
      << v.message;
  EXPECT_TRUE(has(v.message, "rank 0 is outside any collective (computing) for 5.0 s, since it left allreduce_sum #19"))
      << v.message;
}

TEST(WatchdogJudge, DecidesOnlyOnNews) {
  // rank 0 was last heard before rank 1's wait passed the limit, and is not silent for that long
  const std::vector<Report> ranks{outside(0, 19, 9.0, 12.5), inside(1, 20, 10.0, 13.5)};
  EXPECT_EQ(judge_waits(ranks, 13.6, 3).kind, Verdict::none);
}

TEST(WatchdogJudge, ARankInOrPastTheCollectiveIsNeverNamed) {
  // rank 1 reported a long wait in #5, rank 0 has left #6 since: every rank reached #5
  std::vector<Report> ranks{outside(0, 6, 13.0, 14.0), inside(1, 5, 10.0, 14.0)};
  Verdict v = judge_waits(ranks, 14.0, 3);
  EXPECT_EQ(v.kind, Verdict::slow) << v.message;
  EXPECT_EQ(v.seq, 5u);
  ranks[0] = inside(0, 5, 10.5, 14.0);  // both in #5 for longer than the limit: slow MPI, a warning
  v = judge_waits(ranks, 14.0, 3);
  EXPECT_EQ(v.kind, Verdict::slow);
  EXPECT_TRUE(has(v.message, "every rank has reached allreduce_sum #5")) << v.message;
}

TEST(WatchdogJudge, NamesTheRankMissingAtTheEndOfTheRun) {
  Report end0 = inside(0, 51, 10.0, 14.0), end2 = inside(2, 51, 11.0, 14.0);
  end0.op = end2.op = Op::end_of_run;
  const Verdict v = judge_waits({end0, outside(1, 50, 10.0, 14.0), end2}, 14.0, 3);
  ASSERT_EQ(v.kind, Verdict::abort);
  EXPECT_TRUE(has(v.message, "rank 1 did not reach end of run")) << v.message;
  EXPECT_TRUE(has(v.message, "(ranks 0,2 waiting")) << v.message;
}

TEST(WatchdogJudge, NothingWithinTheLimit) {
  EXPECT_EQ(judge_waits({outside(0, 3, 9.0, 12.0), inside(1, 4, 10.0, 12.0)}, 12.0, 3).kind, Verdict::none);
}

TEST(Watchdog, LimitsAreOffOrAtLeastOneSecond) {
  EXPECT_THROW(dpt::Comm::start_watchdog(0.5, 60), dpt::Error);
  EXPECT_THROW(dpt::Comm::start_watchdog(0, -1), dpt::Error);
  EXPECT_FALSE(dpt::Comm::watchdog_running());
  dpt::Comm::start_watchdog(0, 0);  // both off: no watchdog
  EXPECT_FALSE(dpt::Comm::watchdog_running());
}
