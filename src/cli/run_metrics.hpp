// Reading a run's metrics.jsonl back (for `dptrain plot` and `dptrain compare`): the per-epoch
// records, in file order, and the end-of-run record (the one with "event": "end"). In EpochPoint a
// missing or null value (a diverged run writes NaN as null) reads as NaN.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dpt::cli {

struct EpochPoint {
  int64_t epoch = 0;
  double elapsed_s, train_loss, train_accuracy, val_loss, val_accuracy, test_loss, test_accuracy;
};

struct RunMetrics {
  std::string path;  // the metrics.jsonl read
  std::vector<EpochPoint> epochs;
};

// Every record of a run: the epoch records and the last end record (null while the run has none).
struct RunRecords {
  std::string path;  // the metrics.jsonl read
  std::vector<nlohmann::json> epochs;
  nlohmann::json end;
};

// `run` is a run directory (its metrics.jsonl is read) or a metrics .jsonl file. Throws naming the
// path when it does not exist, holds no metrics.jsonl, or a line is not JSON (a torn last line, as a
// crash can leave it, is skipped with a warning). No epoch record yet is not an error here.
RunRecords read_run_records(const std::string& run);

// `run` is a run directory (its metrics.jsonl is read) or a metrics .jsonl file. Throws naming the
// path when it does not exist, holds no metrics.jsonl or no epoch record, or a line is not JSON
// (a torn last line, as a crash can leave it, is skipped with a warning).
RunMetrics read_run_metrics(const std::string& run);

}  // namespace dpt::cli
