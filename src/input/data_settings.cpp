#include "input/data_settings.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"

namespace dpt {

const OptionTable& data_options() {
  constexpr double inf = INFINITY;
  static const OptionTable t = {
      {"data.file",
       OptType::StringList,
       "",
       "HDF5 file with the data set; or a glob (data/shard-*.h5) or a list of files forming one data set",
       -inf,
       inf,
       false,
       {},
       true},
      option_spec("data.train_features", OptType::String, "/train/images", "training features dataset (N, ...)"),
      option_spec("data.train_labels", OptType::String, "/train/labels", "training labels dataset (N)"),
      option_spec("data.val_fraction", OptType::Float, "0",
                  "carve this fraction of the training rows out as validation", 0, 0.9),
      option_spec("data.val_file", OptType::StringList, "",
                  "HDF5 file(s) of a separate validation split (default: data.file)"),
      option_spec("data.val_features", OptType::String, "",
                  "validation features dataset (empty: none, or val_fraction)"),
      option_spec("data.val_labels", OptType::String, "", "validation labels dataset"),
      option_spec("data.test_file", OptType::StringList, "", "HDF5 file(s) with the test split (default: data.file)"),
      option_spec("data.test_features", OptType::String, "/test/images",
                  "test features dataset; empty: no test evaluation"),
      option_spec("data.test_labels", OptType::String, "/test/labels", "test labels dataset"),
      option_spec("data.scale", OptType::Float, "1",
                  "features are multiplied by this after conversion to float32 (e.g. 1/255)", 0, inf, true),
      option_spec("data.sample_shape", OptType::List, "[]",
                  "the shape each sample is viewed as, e.g. [C, L] for signals (N, C, L) or [C, D, H, W]; its "
                  "element count must be the stored row's ([]: the features' `layout` attribute, else (N, D) -> (D), "
                  "(N, H, W) -> (1, H, W), (N, C, H, W) -> (C, H, W), (N, C, D, H, W) -> (C, D, H, W))"),
      option_spec("data.shuffle", OptType::Bool, "true", "draw a new global sample order every epoch"),
      option_spec("data.memory_budget", OptType::String, "0",
                  "bytes of training samples each rank may hold (64MiB, 1GiB); > 0 streams blocks from the file "
                  "with a windowed shuffle (docs/data.md); 0: the whole training split in memory"),
      option_spec("data.block_rows", OptType::Int, "0",
                  "streaming: rows per read block (0: the features' chunk rows, or about 1 MiB when not chunked)", 0),
      option_spec("data.shuffle_buffer", OptType::Int, "0",
                  "streaming: samples shuffled together, rounded up to whole blocks (0: the most that "
                  "data.memory_budget holds on one rank; the sample order never depends on the rank count)",
                  0),
      option_spec("data.augment.crop_padding", OptType::Int, "0",
                  "training images: pad each side with this many zeros and crop a random window of the image's size "
                  "(a random shift; 0: off); each sample's transform depends only on seed, step and its place in the "
                  "global batch",
                  0),
      option_spec("data.augment.hflip", OptType::Bool, "false",
                  "training images: mirror left-right with probability 1/2 (for data whose meaning a mirror keeps)"),
  };
  return t;
}

namespace {
std::string str_or_empty(const Config& c, const std::string& key) { return c.has(key) ? c.get_string(key) : ""; }

// The files of a file option (a path, a glob, or a list: .files, with .file naming them for messages);
// false when the option is unset or empty.
bool read_files(const Config& c, const std::string& key, SplitPaths& p) {
  const std::vector<std::string> v = c.has(key) ? c.get_strings(key) : std::vector<std::string>{};
  if (v.empty() || (v.size() == 1 && v[0].empty())) return false;
  p.file = v.size() == 1 ? v[0] : fmt::format("{}", fmt::join(v, ", "));
  p.files = v.size() == 1 ? std::vector<std::string>{} : v;
  return true;
}

std::string flow_text(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

// data.sample_shape: a list of positive integers (empty: none).
Shape read_sample_shape(const Config& c) {
  const YAML::Node n = c.get_node("data.sample_shape");
  Shape s;
  for (const auto& v : n) {
    int64_t d = 0;
    try {
      d = v.as<int64_t>();
    } catch (const YAML::Exception&) {
      d = 0;
    }
    if (d < 1 || !v.IsScalar())
      fail("{}: data.sample_shape = {} must be a list of positive integers, e.g. [2, 256]",
           c.origin("data.sample_shape"), flow_text(n));
    s.push_back(d);
  }
  if (s.size() > 4)
    fail("{}: data.sample_shape = {} has {} dims; samples have at most 4 (C, D, H, W)", c.origin("data.sample_shape"),
         flow_text(n), s.size());
  return s;
}

SplitPaths split(const Config& c, const std::string& name, const SplitPaths& train) {
  const std::string features = str_or_empty(c, "data." + name + "_features");
  if (features.empty()) return {};
  SplitPaths p{train.file,
               features,
               c.get_string("data." + name + "_labels"),
               "data." + name + "_features",
               "data." + name + "_labels",
               train.files};
  read_files(c, "data." + name + "_file", p);
  return p;
}
}  // namespace

DataSettings read_data_settings(const Config& c, bool float_targets) {
  DataSettings s;
  s.train = {"", c.get_string("data.train_features"), c.get_string("data.train_labels"), "data.train_features",
             "data.train_labels"};
  read_files(c, "data.file", s.train);
  s.val = split(c, "val", s.train);
  s.test = split(c, "test", s.train);
  s.val_fraction = c.get_float("data.val_fraction");
  if (s.val_fraction > 0 && !s.val.file.empty())
    fail("config: data.val_fraction = {} and data.val_features = '{}' both define a validation split; use one",
         s.val_fraction, s.val.features);
  s.scale = static_cast<float>(c.get_float("data.scale"));
  s.shuffle = c.get_bool("data.shuffle");
  s.stream.budget_text = c.get_string("data.memory_budget");
  s.stream.budget = parse_byte_size(s.stream.budget_text, c.origin("data.memory_budget") + ": data.memory_budget");
  s.stream.block_rows = c.get_int("data.block_rows");
  s.stream.shuffle_buffer = c.get_int("data.shuffle_buffer");
  s.train.float_targets = s.val.float_targets = s.test.float_targets = float_targets;
  s.train.sample_shape = s.val.sample_shape = s.test.sample_shape = read_sample_shape(c);
  s.augment = {c.get_int("data.augment.crop_padding"), c.get_bool("data.augment.hflip")};
  return s;
}

}  // namespace dpt
