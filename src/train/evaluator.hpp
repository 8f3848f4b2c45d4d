// Evaluation of a model on a sharded split: each rank runs its block, the sums are all-reduced.
#pragma once
#include <vector>

#include "comm/comm.hpp"
#include "data/shard_loader.hpp"
#include "layers/loss.hpp"
#include "model/model.hpp"

namespace dpt {

struct EvalResult {
  double loss = 0;       // mean over all samples of all ranks
  double accuracy = 0;
  int64_t samples = 0;
};

// Runs forward passes over `shard` in batches of at most model.max_batch(); every rank must call it.
EvalResult evaluate(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm);

// A classification evaluation with per-class counts (what `dptrain evaluate` reports).
struct ClassEval {
  EvalResult overall;
  int64_t classes = 0;
  std::vector<int64_t> confusion;  // (classes, classes), row-major: [true class][predicted class]
  int64_t count(int64_t truth, int64_t predicted) const { return confusion[truth * classes + predicted]; }
  int64_t class_samples(int64_t c) const;  // samples whose label is c (row sum)
  double class_accuracy(int64_t c) const;  // correct / samples of class c; NaN when it has none
};

// evaluate() plus the confusion matrix over all ranks (the predicted class is the arg-max of the
// output, the first on ties, as in the accuracy). Every rank must call it; all get the same result.
ClassEval evaluate_classes(Model& model, const Loss<float>& loss, const Shard& shard, const Comm& comm);

}  // namespace dpt
