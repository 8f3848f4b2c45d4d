// checkpoint/checkpoint_file, collectively at 1, 2 and 3 ranks: the round trip is bit-exact for every
// array and attribute whatever the rank count that wrote or reads the file, damage to the data is
// caught (a flipped byte by the crc32, a truncated file on open), and write errors reach every rank.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_dir.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "checkpoint_fixture.hpp"
#include "comm/comm.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

namespace fs = std::filesystem;
using test::error_of;

class CheckpointFile : public ::testing::Test {
 protected:
  void TearDown() override {
    world.barrier();
    if (world.rank() == 0) fs::remove_all(dir);
  }
  // Sizes no rank count divides, buffers smaller than 3 ranks: some ranks write none of it.
  test::SampleArrays arrays = test::sample_arrays(1001, 2002, 2, 11);
  const Comm world;
  const std::string dir = test::temp_dir("ckfile");  // the same on every rank
};

void expect_meta_equal(const CheckpointMeta& got, const CheckpointMeta& want) {
  EXPECT_EQ(got.step, want.step);
  EXPECT_EQ(got.architecture, want.architecture);
  EXPECT_EQ(got.config_yaml, want.config_yaml);
  EXPECT_EQ(got.trainer_state, want.trainer_state);
  EXPECT_EQ(got.param_index, want.param_index);
}

// The trainer's state holds each rank's own clock (elapsed_s), so ranks may pass metadata of other
// lengths. HDF5 needs the same metadata calls on every rank: with per-rank attributes the ranks'
// metadata caches diverged and two ranks hung in H5Fclose (seen after 11 good checkpoints of a
// 2-rank run). Rank 0's metadata is written; the write finishes (ctest's timeout catches a hang).
TEST_F(CheckpointFile, PerRankMetadataIsWrittenAsRankZeros) {
  const std::string path = checkpoint_path(dir, 7);
  const CheckpointMeta want = test::sample_meta(7);
  CheckpointMeta mine = want;
  if (world.rank() > 0) {
    mine.trainer_state = std::string(static_cast<size_t>(300000 * world.rank()), 'x');
    mine.config_yaml += "# rank " + std::to_string(world.rank());
  }
  write_checkpoint(path, mine, arrays.view(), world);
  expect_meta_equal(read_checkpoint_meta(path), want);
  verify_checkpoint_data(path);
}

TEST_F(CheckpointFile, RoundTripIsBitExactOnEveryRank) {
  const std::string path = checkpoint_path(dir, 42);
  const CheckpointMeta meta = test::sample_meta(42);
  write_checkpoint(path, meta, arrays.view(), world);

  EXPECT_EQ(read_format(path), "dptrain-checkpoint");
  const CheckpointMeta got = read_checkpoint_meta(path);
  expect_meta_equal(got, meta);
  EXPECT_EQ(got.ranks, world.size());
  test::SampleArrays back = test::zeros_like(arrays);
  CheckpointArrays view = back.view();
  read_checkpoint_arrays(path, view);
  EXPECT_TRUE(test::bitwise_equal(back, arrays));
  verify_checkpoint_data(path);
  world.barrier();
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no *.tmp left
}

TEST_F(CheckpointFile, EmptyArraysRoundTrip) {
  arrays = test::sample_arrays(7, 7, 0, 12);  // a model without batchnorm has no buffers
  const std::string path = checkpoint_path(dir, 1);
  write_checkpoint(path, test::sample_meta(1), arrays.view(), world);
  test::SampleArrays back = test::zeros_like(arrays);
  CheckpointArrays view = back.view();
  read_checkpoint_arrays(path, view);
  EXPECT_TRUE(test::bitwise_equal(back, arrays));
}

// Every rank count from 1 to this job's writes a file (the first ranks, through their own
// communicator); every rank of the job reads each one alone: a checkpoint written on 2 ranks loads
// on 1 and on 3.
TEST_F(CheckpointFile, WrittenOnAnyRankCountLoadsOnAnyOther) {
  for (int writers = 1; writers <= world.size(); ++writers) {
    const Comm sub = world.split(world.rank() < writers ? 0 : 1);
    if (world.rank() < writers)
      write_checkpoint(checkpoint_path(dir, writers), test::sample_meta(writers), arrays.view(), sub);
  }
  world.barrier();
  for (int writers = 1; writers <= world.size(); ++writers) {
    SCOPED_TRACE("written on " + std::to_string(writers) + " rank(s), read on rank " + std::to_string(world.rank()));
    const std::string path = checkpoint_path(dir, writers);
    EXPECT_EQ(read_checkpoint_meta(path).ranks, writers);
    test::SampleArrays back = test::zeros_like(arrays);
    CheckpointArrays view = back.view();
    read_checkpoint_arrays(path, view);
    EXPECT_TRUE(test::bitwise_equal(back, arrays));
  }
}

TEST_F(CheckpointFile, ReadingIntoAnotherSizeNamesTheArray) {
  const std::string path = checkpoint_path(dir, 3);
  write_checkpoint(path, test::sample_meta(3), arrays.view(), world);
  test::SampleArrays smaller = test::sample_arrays(1000, 2002, 2, 11);
  CheckpointArrays view = smaller.view();
  const std::string e = error_of([&] { read_checkpoint_arrays(path, view); });
  EXPECT_NE(e.find(path + ": 'params' holds 1001 values but this model needs 1000"), std::string::npos) << e;
}

TEST_F(CheckpointFile, AFlippedByteInAnyArrayFailsItsChecksum) {
  for (const std::string name : {"params", "optimizer", "buffers"}) {
    SCOPED_TRACE(name);
    const std::string path = dir + "/" + name + ".h5";
    write_checkpoint(path, test::sample_meta(5), arrays.view(), world);
    verify_checkpoint_data(path);  // intact before
    world.barrier();
    if (world.rank() == 0) test::flip_data_byte(path, name, 5);  // inside the second value
    world.barrier();
    const std::string want = path + ": checksum mismatch in '" + name + "'";
    EXPECT_NE(error_of([&] { verify_checkpoint_data(path); }).find(want), std::string::npos);
    test::SampleArrays back = test::zeros_like(arrays);
    CheckpointArrays view = back.view();
    EXPECT_NE(error_of([&] { read_checkpoint_arrays(path, view); }).find(want), std::string::npos);
    EXPECT_NO_THROW(read_checkpoint_meta(path));  // the attributes are intact: only the data is wrong
  }
}

TEST_F(CheckpointFile, ATruncatedFileIsRefusedNamingIt) {
  const std::string path = checkpoint_path(dir, 6);
  write_checkpoint(path, test::sample_meta(6), arrays.view(), world);
  world.barrier();
  if (world.rank() == 0) test::truncate_file(path, 0.6);
  world.barrier();
  for (const auto& e : {error_of([&] { verify_checkpoint_data(path); }), error_of([&] { read_checkpoint_meta(path); })})
    EXPECT_NE(e.find(path + ": truncated file"), std::string::npos) << e;
}

TEST_F(CheckpointFile, AnotherFormatVersionIsRefused) {
  const std::string path = checkpoint_path(dir, 7);
  write_checkpoint(path, test::sample_meta(7), arrays.view(), world);
  world.barrier();
  if (world.rank() == 0) test::set_i64_attr(path, "format_version", kCheckpointVersion + 1);
  world.barrier();
  const std::string e = error_of([&] { read_checkpoint_meta(path); });
  EXPECT_NE(e.find(path + ": checkpoint format version 2 is not supported"), std::string::npos) << e;
}

TEST_F(CheckpointFile, AWriteThatCannotStartFailsOnEveryRankNamingTheFile) {
  const std::string path = checkpoint_path(dir + "/missing", 8);
  const std::string e = error_of([&] { write_checkpoint(path, test::sample_meta(8), arrays.view(), world); });
  EXPECT_NE(e.find(path + ".tmp: cannot create checkpoint"), std::string::npos) << e;
  EXPECT_NE(e.find("earlier checkpoints are kept"), std::string::npos) << e;
  world.barrier();
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(CheckpointFile, TheDirectoryProbeLeavesNothingAndNamesAnUnwritableDirectory) {
  check_checkpoint_dir_writable(dir, world);
  world.barrier();
  EXPECT_TRUE(fs::is_empty(dir));
  const std::string missing = dir + "/missing";
  const std::string e = error_of([&] { check_checkpoint_dir_writable(missing, world); });
  EXPECT_NE(e.find(missing + ": the checkpoint directory is not writable: No such file or directory"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace dpt
