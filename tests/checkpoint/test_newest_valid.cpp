// checkpoint/checkpoint_dir over real checkpoints (written collectively at 1, 2 and 3 ranks): the
// newest valid checkpoint is chosen past a newer one of another architecture, a corrupt one and a
// truncated one, each reported with the file and the reason; check_checkpoint names them alike.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_dir.hpp"
#include "checkpoint_fixture.hpp"
#include "comm/comm.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

namespace fs = std::filesystem;
using test::error_of;

const std::string kArch = "input (5) | dense 5 -> (3)";

class NewestValid : public ::testing::Test {
 protected:
  void TearDown() override {
    world.barrier();
    if (world.rank() == 0) fs::remove_all(dir);
  }
  void write(int64_t step, const std::string& arch = kArch) {
    write_checkpoint(checkpoint_path(dir, step), test::sample_meta(step, arch), arrays.view(), world);
  }
  // Rank 0 damages the files in `f` while the others wait.
  template <class F>
  void on_rank0(F&& f) {
    world.barrier();
    if (world.rank() == 0) f();
    world.barrier();
  }
  test::SampleArrays arrays = test::sample_arrays(300, 600, 4, 21);
  const Comm world;
  const std::string dir = test::temp_dir("cknewest");
};

TEST_F(NewestValid, TheNewestIsTakenWhenItIsValid) {
  write(10);
  write(20);
  std::vector<std::string> warnings;
  EXPECT_EQ(newest_valid_checkpoint(dir, kArch, [&](const std::string& w) { warnings.push_back(w); }),
            checkpoint_path(dir, 20));
  EXPECT_TRUE(warnings.empty());
}

TEST_F(NewestValid, SkipsAnotherArchitectureACorruptAndATruncatedOneWithTheirReasons) {
  for (int64_t step : {10, 20, 30}) write(step);
  write(40, "input (5) | dense 5 -> (4)");
  write(50);
  on_rank0([&] {
    test::truncate_file(checkpoint_path(dir, 20), 0.5);
    test::flip_data_byte(checkpoint_path(dir, 30), "optimizer", 100);
    fs::rename(checkpoint_path(dir, 50), checkpoint_path(dir, 50) + ".tmp");  // an interrupted write
  });
  std::vector<std::string> warnings;
  EXPECT_EQ(newest_valid_checkpoint(dir, kArch, [&](const std::string& w) { warnings.push_back(w); }),
            checkpoint_path(dir, 10));
  ASSERT_EQ(warnings.size(), 3u);
  const std::vector<std::string> want = {
      checkpoint_path(dir, 40) +
          ": written for another model:\n  checkpoint: input (5) | dense 5 -> (4)\n  this run:   " + kArch,
      checkpoint_path(dir, 30) + ": checksum mismatch in 'optimizer'", checkpoint_path(dir, 20) + ": truncated file"};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(warnings[i].find("skipping checkpoint " + want[i]), 0u) << warnings[i];
    // check_checkpoint gives the same reason, naming the file first.
    EXPECT_EQ(error_of([&] {
                check_checkpoint(checkpoint_path(dir, 40 - 10 * static_cast<int64_t>(i)), kArch);
              }).find(want[i]),
              0u);
  }
  EXPECT_NO_THROW(check_checkpoint(checkpoint_path(dir, 10), kArch));
}

TEST_F(NewestValid, NoneWhenEveryCheckpointIsOfAnotherArchitecture) {
  write(1, "input (5) | dense 5 -> (4)");
  write(2, "input (6) | dense 6 -> (3)");
  int warned = 0;
  EXPECT_EQ(newest_valid_checkpoint(dir, kArch, [&](const std::string&) { ++warned; }), "");
  EXPECT_EQ(warned, 2);
}

}  // namespace
}  // namespace dpt
