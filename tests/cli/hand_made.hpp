// A hand-made data set and model whose every prediction is known, for the evaluate and predict
// tests (written into the CLI test directory by make_cli_data):
//   hand.h5             /x (12, 3) float32, /y (12) int32
//   hand_model.h5       one dense layer 3 -> 3 with W = identity and b = (0, 0, 0.5): the logits
//                       are x + b, the predicted class is their arg-max
//   hand_expected.json  what evaluate and predict must report: samples, confusion, per-class
//                       counts and accuracy, loss, and per sample the probabilities and class
#pragma once
#include <string>

namespace dpt::test {

void write_hand_made(const std::string& dir);

}  // namespace dpt::test
