// An epoch's training figures in metrics.jsonl and the log (train/metrics): the accuracy of
// classes, the rmse of a regression, and neither an accuracy nor a false one where
// loss_ignore_index over class maps makes it unknown (ignored positions would count as misses).
#include <gtest/gtest.h>

#include <cmath>

#include "train/metrics.hpp"

namespace dpt {
namespace {

EpochTraining figures() {
  EpochTraining e;
  e.epoch = 3, e.step = 300, e.loss = 0.25, e.accuracy = 0.9125;
  e.samples_per_s = 1000, e.epoch_s = 60, e.data_s = 1.5, e.lr = 0.01, e.elapsed_s = 180;
  return e;
}

TEST(EpochRecord, ClassesRegressionAndUnknownAccuracy) {
  EpochTraining e = figures();
  nlohmann::json r = epoch_record(e, 2.0);
  EXPECT_EQ(r["epoch"], 3);
  EXPECT_EQ(r["step"], 300);
  EXPECT_DOUBLE_EQ(r["train_accuracy"].get<double>(), 0.9125);
  EXPECT_DOUBLE_EQ(r["eval_s"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(r["elapsed_s"].get<double>(), 180);
  EXPECT_FALSE(r.contains("train_rmse"));
  EXPECT_EQ(training_text(e), "train loss 0.2500 acc 0.9125");

  e.regression = true;
  r = epoch_record(e, 2.0);
  EXPECT_DOUBLE_EQ(r["train_rmse"].get<double>(), 0.5);
  EXPECT_FALSE(r.contains("train_accuracy"));
  EXPECT_EQ(training_text(e), "train loss 0.2500 rmse 0.5000");

  e = figures(), e.accuracy_known = false;
  r = epoch_record(e, 2.0);
  EXPECT_FALSE(r.contains("train_accuracy"));
  EXPECT_FALSE(r.contains("train_rmse"));
  EXPECT_EQ(training_text(e), "train loss 0.2500");
}

}  // namespace
}  // namespace dpt
