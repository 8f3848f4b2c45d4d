// Prediction with a trained model (what `dptrain predict` computes): each rank runs its block of
// rows of a data set, a batch at a time, and rank 0 gathers every row's result in row order.
// Classification gives the class probabilities (softmax) and the arg-max; with class maps
// (positions > 1: the output (K, ...) scores K classes at each position) the softmax over the
// channels and the arg-max at every position; regression the outputs.
#pragma once
#include <cstdint>

#include "comm/comm.hpp"
#include "h5/prediction_file.hpp"
#include "h5/sample_source.hpp"
#include "model/model.hpp"

namespace dpt {

// Collective. Rows [lo, hi) of `src` are this rank's (block_range of the rows over the ranks, in
// rank order). Returns the predictions of all src.size() rows on rank 0 (rows = 0 on the others).
// An error reading any rank's rows is thrown on every rank.
Predictions predict(Model& model, const SampleSource& src, int64_t lo, int64_t hi, bool regression, int64_t positions,
                    const Comm& comm);

}  // namespace dpt
