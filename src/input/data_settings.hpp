// The data.* options, owned by input/: the files and datasets of each split, the validation
// fraction, the feature scale, the shuffle, and streaming mode's memory budget and block sizes.
#pragma once
#include "core/config.hpp"
#include "h5/sample_source.hpp"
#include "input/stream_sizing.hpp"

namespace dpt {

const OptionTable& data_options();

struct DataSettings {
  SplitPaths train, val, test;  // val/test .file empty: none
  double val_fraction;          // > 0: validation carved from the training rows
  float scale;
  bool shuffle;
  StreamRequest stream;  // data.memory_budget > 0: streaming mode (input/stream_data.hpp)
  bool has_validation() const { return val_fraction > 0 || !val.file.empty(); }
};

// float_targets: the targets are read as float32 (a regression loss), in every split. Throws for
// a size that is not one (data.memory_budget) and for two validation splits at once.
DataSettings read_data_settings(const Config& c, bool float_targets);

}  // namespace dpt
