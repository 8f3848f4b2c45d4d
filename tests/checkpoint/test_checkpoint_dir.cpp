// checkpoint/checkpoint_dir without MPI: how checkpoints are named, listed (newest first, only
// complete ckpt-*.h5) and pruned (the newest `keep` and nothing of an interrupted write), and that
// files which are not checkpoints are skipped with a reason naming them. Choosing among real
// checkpoints (written collectively) is in test_newest_valid.cpp.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_dir.hpp"
#include "support/synth_data.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

namespace fs = std::filesystem;
using test::error_of;

void touch(const fs::path& p, const std::string& text = "") { std::ofstream(p) << text; }

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> file_names(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(fs::path(p).filename().string());
  return out;
}

TEST(CheckpointDir, PathIsTheZeroPaddedStepInTheDirectory) {
  EXPECT_EQ(checkpoint_path("/runs/a/checkpoints", 1234), "/runs/a/checkpoints/ckpt-0000001234.h5");
  EXPECT_EQ(checkpoint_path("ck", 0), "ck/ckpt-0000000000.h5");
  // Zero padding makes the lexical order the step order, which list_checkpoints relies on.
  EXPECT_LT(checkpoint_path("d", 9), checkpoint_path("d", 10));
  EXPECT_LT(checkpoint_path("d", 999999999), checkpoint_path("d", 1000000000));
}

TEST(CheckpointDir, ListsCompleteCheckpointsNewestFirstAndNothingElse) {
  const std::string dir = test::temp_dir("ckdir-list");
  for (int64_t step : {10, 9, 100, 11}) touch(checkpoint_path(dir, step));
  touch(checkpoint_path(dir, 200) + ".tmp");  // an interrupted write
  for (const char* other :
       {"ckpt-probe-0-42.tmp", "model.h5", "notes.txt", "ckpt-.h5", "ckpt-0000000300.h5.bak", "xckpt-0000000400.h5"})
    touch(fs::path(dir) / other);
  fs::create_directory(fs::path(dir) / "old");

  EXPECT_EQ(file_names(list_checkpoints(dir)), (std::vector<std::string>{"ckpt-0000000100.h5", "ckpt-0000000011.h5",
                                                                         "ckpt-0000000010.h5", "ckpt-0000000009.h5"}));
  EXPECT_EQ(list_checkpoints(dir).front(), checkpoint_path(dir, 100));  // full paths
  fs::remove_all(dir);
}

TEST(CheckpointDir, AMissingDirectoryHasNoCheckpoints) {
  EXPECT_TRUE(list_checkpoints("/nonexistent/dptrain-test/checkpoints").empty());
}

TEST(CheckpointDir, PruneKeepsTheNewestAndRemovesLeftoverTemporaries) {
  const std::string dir = test::temp_dir("ckdir-prune");
  for (int64_t step = 1; step <= 5; ++step) touch(checkpoint_path(dir, step));
  touch(checkpoint_path(dir, 6) + ".tmp");
  touch(fs::path(dir) / "ckpt-probe-1-77.tmp");
  touch(fs::path(dir) / "model.h5.tmp.123");  // not a checkpoint's: not prune's to remove
  touch(fs::path(dir) / "model.h5");

  prune_checkpoints(dir, 2);
  EXPECT_EQ(names_in(dir),
            (std::vector<std::string>{"ckpt-0000000004.h5", "ckpt-0000000005.h5", "model.h5", "model.h5.tmp.123"}));
  prune_checkpoints(dir, 2);  // nothing more to do
  EXPECT_EQ(list_checkpoints(dir).size(), 2u);
  fs::remove_all(dir);
}

TEST(CheckpointDir, PruneAlwaysKeepsTheNewestOne) {
  const std::string dir = test::temp_dir("ckdir-keep0");
  for (int64_t step : {3, 7, 5}) touch(checkpoint_path(dir, step));
  prune_checkpoints(dir, 0);
  EXPECT_EQ(list_checkpoints(dir), (std::vector<std::string>{checkpoint_path(dir, 7)}));
  fs::remove_all(dir);
}

TEST(CheckpointDir, PruneKeepsEverythingWhenThereAreFewerThanKeep) {
  const std::string dir = test::temp_dir("ckdir-few");
  for (int64_t step : {1, 2}) touch(checkpoint_path(dir, step));
  prune_checkpoints(dir, 5);
  EXPECT_EQ(list_checkpoints(dir).size(), 2u);
  fs::remove_all(dir);
}

// An HDF5 file with one dataset and no attributes: HDF5, but not a checkpoint.
void write_plain_hdf5(const std::string& path) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t n = 4;
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const float v[4] = {1, 2, 3, 4};
  const hid_t d = H5Dcreate2(f, "x", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d), H5Sclose(space), H5Fclose(f);
}

TEST(CheckpointDir, CheckErrorsNameTheFileAndTheReason) {
  const std::string dir = test::temp_dir("ckdir-check");
  const std::string empty = checkpoint_path(dir, 1), text = checkpoint_path(dir, 2), plain = checkpoint_path(dir, 3);
  touch(empty);
  touch(text, "not an HDF5 file at all\n");
  write_plain_hdf5(plain);

  for (const auto& path : {empty, text}) {
    const std::string e = error_of([&] { check_checkpoint(path, "arch"); });
    EXPECT_NE(e.find(path), std::string::npos) << e;
    EXPECT_NE(e.find("not an HDF5 file"), std::string::npos) << e;
  }
  const std::string e = error_of([&] { check_checkpoint(plain, "arch"); });
  EXPECT_NE(e.find(plain + ": not a dptrain checkpoint"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { check_checkpoint(checkpoint_path(dir, 4), "arch"); }).find("file not found"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(CheckpointDir, NoValidCheckpointReportsEveryFileSkipped) {
  const std::string dir = test::temp_dir("ckdir-none");
  touch(checkpoint_path(dir, 1));
  write_plain_hdf5(checkpoint_path(dir, 2));
  touch(checkpoint_path(dir, 3) + ".tmp");  // never considered, never reported
  std::vector<std::string> warnings;
  EXPECT_EQ(newest_valid_checkpoint(dir, "arch", [&](const std::string& w) { warnings.push_back(w); }), "");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].find("skipping checkpoint " + checkpoint_path(dir, 2) + ": not a dptrain checkpoint"), 0u)
      << warnings[0];
  EXPECT_EQ(warnings[1].find("skipping checkpoint " + checkpoint_path(dir, 1) + ": not an HDF5 file"), 0u)
      << warnings[1];
  fs::remove_all(dir);
}

TEST(CheckpointDir, AnEmptyOrMissingDirectoryHasNoValidCheckpoint) {
  const std::string dir = test::temp_dir("ckdir-empty");
  int warned = 0;
  EXPECT_EQ(newest_valid_checkpoint(dir, "arch", [&](const std::string&) { ++warned; }), "");
  EXPECT_EQ(newest_valid_checkpoint(dir + "/missing", "arch", [&](const std::string&) { ++warned; }), "");
  EXPECT_EQ(warned, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dpt
