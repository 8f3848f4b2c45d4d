// Helpers of the trainer around its model: the batch capacity it is built with, checked against
// memory, and copies of its weights.
#pragma once
#include <cstdint>
#include <vector>

#include "comm/comm.hpp"
#include "model/model.hpp"
#include "train/train_config.hpp"

namespace dpt {

// The model's batch capacity, the larger of the per-rank training batch and train.eval_batch_size,
// checked against this rank's share of the node's memory before the model allocates it.
int64_t checked_model_batch(const TrainSettings& s, const Shape& input, const Comm& comm);

// The model's parameters and batchnorm statistics, copied out.
void copy_weights(const Model& m, std::vector<float>& params, std::vector<float>& buffers);

}  // namespace dpt
