// State-dict files for train.init_from (written into the CLI test directory by make_cli_data),
// for good.yaml's model dense 12 -> 8, relu, dense 8 -> 4:
//   init_good.h5      /layers.0.weight (8, 12), /layers.0.bias, /layers.2.weight (4, 8), /layers.2.bias
//   init_group.h5     the same under /state_dict, float64
//   init_shape.h5     /layers.0.weight (8, 10): a mismatched shape
//   init_missing.h5   no layers.2.bias
#pragma once
#include <string>

namespace dpt::test {

void write_init_files(const std::string& dir);

}  // namespace dpt::test
