// The data.* options, owned by input/: the files and datasets of each split, the validation
// fraction, the feature scale, the shuffle, streaming mode's memory budget and block sizes, and
// the augmentation of training images.
#pragma once
#include <cstdint>

#include "core/config.hpp"
#include "h5/sample_source.hpp"
#include "input/augment.hpp"
#include "input/stream_sizing.hpp"

namespace dpt {

const OptionTable& data_options();

struct DataSettings {
  SplitPaths train, val, test;  // val/test .file empty: none
  double val_fraction;          // > 0: validation carved from the training rows
  float scale;
  bool shuffle;
  StreamRequest stream;  // data.memory_budget > 0: streaming mode (input/stream_data.hpp)
  AugmentSpec augment;   // training batches only (input/augment.hpp)
  bool has_validation() const { return val_fraction > 0 || !val.file.empty(); }
};

// What the input pipeline takes from the run (options train/ owns): the seed of the validation
// carve and the sample order (seed), the global batch (train.batch_size) and the epochs
// (train.epochs: the streaming reader reads ahead across an epoch's end).
struct RunShape {
  uint64_t seed = 0;
  int64_t batch_size = 0, epochs = 0;
};

// float_targets: the targets are read as float32 (a regression loss), in every split. Throws for
// a size that is not one (data.memory_budget) and for two validation splits at once.
DataSettings read_data_settings(const Config& c, bool float_targets);

}  // namespace dpt
