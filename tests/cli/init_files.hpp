// State-dict files for train.init_from (written into the CLI test directory by make_cli_data),
// for good.yaml's model dense 12 -> 8, relu, dense 8 -> 4:
//   init_good.h5      /layers.0.weight (8, 12), /layers.0.bias, /layers.2.weight (4, 8), /layers.2.bias
//   init_group.h5     the same under /state_dict, float64
//   init_shape.h5     /layers.0.weight (8, 10): a mismatched shape
//   init_missing.h5   no layers.2.bias
//   init_seq.h5       fc1.weight (8, 12), fc1.bias, fc2.weight (4, 8), fc2.bias (the values of
//                     init_good.h5), in creation order: train.init_from_match: position
//   init_seq_short.h5 its first 3 tensors; init_seq_swapped.h5: fc1.bias before fc1.weight
#pragma once
#include <string>

namespace dpt::test {

void write_init_files(const std::string& dir);

}  // namespace dpt::test
