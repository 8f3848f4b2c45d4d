// Collectives at 1-4 ranks: sums, broadcasts, agreement checks, row exchange, sub-communicators.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "comm/comm.hpp"
#include "core/error.hpp"

using dpt::Comm;

TEST(Comm, AllreduceSumsEveryRankContribution) {
  const Comm c;
  const int P = c.size();
  std::vector<float> f(1000);
  std::vector<double> d(3);
  std::vector<int64_t> i(2);
  for (size_t k = 0; k < f.size(); ++k) f[k] = static_cast<float>(c.rank() + 1) * static_cast<float>(k % 7);
  d = {1.0 * c.rank(), 0.5, -2.0};
  i = {c.rank(), int64_t{1} << 40};
  c.allreduce_sum(f.data(), static_cast<int64_t>(f.size()));
  c.allreduce_sum(d.data(), 3);
  c.allreduce_sum(i.data(), 2);
  const float ranks_sum = static_cast<float>(P * (P + 1) / 2);
  for (size_t k = 0; k < f.size(); ++k) ASSERT_EQ(f[k], ranks_sum * static_cast<float>(k % 7));
  EXPECT_DOUBLE_EQ(d[0], P * (P - 1) / 2.0);
  EXPECT_DOUBLE_EQ(d[1], 0.5 * P);
  EXPECT_EQ(i[0], P * (P - 1) / 2);
  EXPECT_EQ(i[1], (int64_t{1} << 40) * P);
}

TEST(Comm, AllreduceGivesBitIdenticalResultsOnAllRanks) {
  const Comm c;
  std::vector<float> f(4096);
  for (size_t k = 0; k < f.size(); ++k) f[k] = 1.0f / static_cast<float>(k + 1 + c.rank() * 3);
  c.allreduce_sum(f.data(), static_cast<int64_t>(f.size()));
  std::vector<float> mine = f;
  c.bcast(f.data(), static_cast<int64_t>(f.size()), 0);  // rank 0's result
  EXPECT_EQ(0, std::memcmp(mine.data(), f.data(), f.size() * sizeof(float)));
}

TEST(Comm, BroadcastFloatsAndStrings) {
  const Comm c;
  std::vector<float> v(10, c.rank() == 0 ? 3.5f : -1.0f);
  c.bcast(v.data(), 10, 0);
  for (float x : v) EXPECT_EQ(x, 3.5f);
  std::string s = c.rank() == 0 ? std::string("model:\n  layers: []\n") : std::string("junk");
  c.bcast(s, 0);
  EXPECT_EQ(s, "model:\n  layers: []\n");
}

TEST(Comm, CheckSameThrowsOnEveryRankWhenValuesDiffer) {
  const Comm c;
  EXPECT_NO_THROW(c.check_same(0xfeedface12345678ULL, "value"));
  if (c.size() == 1) return;
  try {
    c.check_same(c.rank() == c.size() - 1 ? 2 : 1, "config");
    FAIL() << "expected an error";
  } catch (const dpt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("disagree about the config"), std::string::npos) << e.what();
    EXPECT_EQ(e.rank(), dpt::process_rank());
  }
}

TEST(Comm, AlltoallvRowsDeliversRowsInRankOrder) {
  const Comm c;
  const int P = c.size();
  // Rank r sends q+1 rows to rank q; each row is 3 ints {r, q, k}.
  std::vector<int64_t> send_counts(P), recv_counts(P);
  std::vector<int32_t> send;
  for (int q = 0; q < P; ++q) {
    send_counts[q] = q + 1;
    for (int k = 0; k <= q; ++k) send.insert(send.end(), {c.rank(), q, k});
  }
  for (int r = 0; r < P; ++r) recv_counts[r] = c.rank() + 1;
  std::vector<int32_t> recv(static_cast<size_t>(3 * P * (c.rank() + 1)), -1);
  c.alltoallv_rows(send.data(), send_counts, recv.data(), recv_counts, 3 * sizeof(int32_t));
  size_t at = 0;
  for (int r = 0; r < P; ++r)
    for (int k = 0; k <= c.rank(); ++k, at += 3) {
      EXPECT_EQ(recv[at], r);
      EXPECT_EQ(recv[at + 1], c.rank());
      EXPECT_EQ(recv[at + 2], k);
    }
}

TEST(Comm, SplitFormsIndependentCommunicators) {
  const Comm world;
  const Comm self = world.split(world.rank());
  EXPECT_EQ(self.size(), 1);
  EXPECT_EQ(self.rank(), 0);
  double v = 1.0 + world.rank();
  self.allreduce_sum(&v, 1);
  EXPECT_EQ(v, 1.0 + world.rank());
  const Comm halves = world.split(world.rank() % 2);
  EXPECT_EQ(halves.size(), (world.size() + 1 - world.rank() % 2) / 2);
  int64_t one = 1;
  halves.allreduce_sum(&one, 1);
  EXPECT_EQ(one, halves.size());
}

TEST(Comm, LocalSizeCountsRanksOnThisNode) {
  const Comm c;
  EXPECT_GE(c.local_size(), 1);
  EXPECT_LE(c.local_size(), c.size());
}

TEST(Comm, GathervRowsConcatenatesEveryRanksRowsInRankOrderAtTheRoot) {
  const Comm c;
  const int P = c.size();
  std::vector<int64_t> counts(static_cast<size_t>(P));
  for (int q = 0; q < P; ++q) counts[q] = (q * 3) % 4;  // uneven, rank 0 sends none
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  for (int root : {0, P - 1}) {
    std::vector<int32_t> send(static_cast<size_t>(2 * counts[c.rank()]));  // rows of 2: (rank, k)
    for (int64_t k = 0; k < counts[c.rank()]; ++k) send[2 * k] = c.rank(), send[2 * k + 1] = static_cast<int32_t>(k);
    std::vector<int32_t> recv(c.rank() == root ? static_cast<size_t>(2 * total) : 0, -1);
    c.gatherv_rows(send.data(), counts, c.rank() == root ? recv.data() : nullptr, 2 * sizeof(int32_t), root);
    if (c.rank() != root) continue;
    size_t at = 0;
    for (int q = 0; q < P; ++q)
      for (int64_t k = 0; k < counts[q]; ++k, at += 2) {
        EXPECT_EQ(recv[at], q);
        EXPECT_EQ(recv[at + 1], k);
      }
    EXPECT_EQ(at, recv.size());
  }
}
