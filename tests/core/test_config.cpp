// Config: defaults, YAML files (nested maps -> dotted keys), --set overrides, validation errors
// (each naming origin, key and value) and the to_yaml round trip, on a small table built here.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "support/test_util.hpp"

namespace dpt {
namespace {

OptionTable test_table() {
  return {
      {.key = "seed", .type = OptType::Int, .default_value = "42", .help = "random seed", .min = 0},
      {.key = "optimizer.name",
       .type = OptType::String,
       .default_value = "sgd",
       .help = "optimizer",
       .choices = {"sgd", "adam"}},
      {.key = "optimizer.lr",
       .type = OptType::Float,
       .default_value = "0.1",
       .help = "learning rate",
       .min = 0,
       .min_exclusive = true},
      {.key = "optimizer.momentum",
       .type = OptType::Float,
       .default_value = "0.9",
       .help = "momentum",
       .min = 0,
       .max = 1},
      {.key = "optimizer.nesterov", .type = OptType::Bool, .default_value = "false", .help = "nesterov"},
      {.key = "train.epochs", .type = OptType::Int, .default_value = "10", .help = "epochs", .min = 1, .max = 1000},
      {.key = "data.path", .type = OptType::String, .default_value = "", .help = "HDF5 dataset", .required = true},
      {.key = "data.scale", .type = OptType::Float, .default_value = "1", .help = "pixel scale"},
      {.key = "model.layers", .type = OptType::List, .default_value = "", .help = "layer list", .required = true},
  };
}

using test::error_of;

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dpt_config_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST(Config, DefaultsAreSetAndTyped) {
  Config c(test_table());
  EXPECT_EQ(c.get_int("seed"), 42);
  EXPECT_EQ(c.get_string("optimizer.name"), "sgd");
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.lr"), 0.1);
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.momentum"), 0.9);
  EXPECT_FALSE(c.get_bool("optimizer.nesterov"));
  EXPECT_EQ(c.origin("seed"), "default");
  // An empty default means "no default": the option stays unset.
  EXPECT_FALSE(c.has("data.path"));
  EXPECT_FALSE(c.has("model.layers"));
  EXPECT_EQ(c.origin("data.path"), "unset");
  EXPECT_THROW(c.get_string("data.path"), Error);
}

TEST_F(ConfigFile, LoadFileFlattensNestedMapsToDottedKeys) {
  const std::string path = write("run.yaml",
                                 "seed: 7\n"
                                 "optimizer:\n"
                                 "  lr: 0.05\n"
                                 "  nesterov: true\n"
                                 "data:\n"
                                 "  path: /data/fmnist.h5\n"
                                 "model:\n"
                                 "  layers:\n"
                                 "    - {type: dense, units: 10}\n"
                                 "    - {type: relu}\n");
  Config c(test_table());
  c.load_file(path);
  EXPECT_EQ(c.get_int("seed"), 7);
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.lr"), 0.05);
  EXPECT_TRUE(c.get_bool("optimizer.nesterov"));
  EXPECT_EQ(c.get_string("data.path"), "/data/fmnist.h5");
  ASSERT_TRUE(c.get_node("model.layers").IsSequence());
  EXPECT_EQ(c.get_node("model.layers").size(), 2u);
  EXPECT_EQ(c.get_node("model.layers")[0]["units"].as<int>(), 10);
  // Keys the file does not mention keep their defaults.
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.momentum"), 0.9);
  EXPECT_EQ(c.origin("optimizer.momentum"), "default");
  // Origins name the file and the line of the key.
  EXPECT_EQ(c.origin("seed"), path + ":1");
  EXPECT_EQ(c.origin("optimizer.lr"), path + ":3");
  EXPECT_NO_THROW(c.check_required());
}

TEST_F(ConfigFile, SetOverridesWinOverFileAndAreParsedAsYaml) {
  Config c(test_table());
  c.load_file(write("run.yaml", "optimizer:\n  lr: 0.05\n"));
  c.set_override("optimizer.lr=0.01");
  c.set_override("optimizer.nesterov=true");
  c.set_override("model.layers=[{type: dense, units: 3}]");
  c.set_override("data.path=");  // an empty value is the empty string
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.lr"), 0.01);
  EXPECT_EQ(c.origin("optimizer.lr"), "--set");
  EXPECT_TRUE(c.get_bool("optimizer.nesterov"));
  ASSERT_TRUE(c.get_node("model.layers").IsSequence());
  EXPECT_EQ(c.get_node("model.layers")[0]["units"].as<int>(), 3);
  EXPECT_TRUE(c.has("data.path"));
  EXPECT_EQ(c.get_string("data.path"), "");
  // The last value set wins.
  c.set_override("optimizer.lr=0.5");
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.lr"), 0.5);

  const std::string msg = error_of([&] { c.set_override("optimizer.lr"); });
  EXPECT_NE(msg.find("expected key=value"), std::string::npos) << msg;
  EXPECT_THROW(c.set_override("=3"), Error);
}

TEST_F(ConfigFile, UnknownKeyNamesKeyOriginAndSuggestion) {
  const std::string path = write("typo.yaml", "seed: 1\noptimizer:\n  lrr: 0.1\n");
  Config c(test_table());
  std::string msg = error_of([&] { c.load_file(path); });
  EXPECT_NE(msg.find("'optimizer.lrr'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path + ":3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'optimizer.lr'"), std::string::npos) << msg;

  msg = error_of([&] { c.set_override("optimzer.momentum=0.5"); });
  EXPECT_NE(msg.find("--set"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'optimzer.momentum'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'optimizer.momentum'"), std::string::npos) << msg;

  // A bare leaf name suggests the full key.
  msg = error_of([&] { c.set_override("epochs=3"); });
  EXPECT_NE(msg.find("did you mean 'train.epochs'"), std::string::npos) << msg;

  // Nothing close: no suggestion.
  msg = error_of([&] { c.set_override("completely_unrelated_key=1"); });
  EXPECT_NE(msg.find("'completely_unrelated_key'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg;
}

TEST_F(ConfigFile, MalformedYamlNamesFileAndLine) {
  const std::string path = write("bad.yaml", "seed: 1\ntrain:\n  epochs: 3: 4\n");
  Config c(test_table());
  const std::string msg = error_of([&] { c.load_file(path); });
  EXPECT_NE(msg.find(path + ":3:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed YAML"), std::string::npos) << msg;

  const std::string missing = (dir_ / "missing.yaml").string();
  const std::string msg2 = error_of([&] { c.load_file(missing); });
  EXPECT_NE(msg2.find(missing), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("not found"), std::string::npos) << msg2;
}

TEST_F(ConfigFile, StructureErrors) {
  Config c(test_table());
  // A group given a scalar instead of a mapping of options.
  std::string msg = error_of([&] { c.load_file(write("a.yaml", "optimizer: 5\n")); });
  EXPECT_NE(msg.find("'optimizer' must be a mapping"), std::string::npos) << msg;
  // The top level must be a mapping.
  msg = error_of([&] { c.load_file(write("b.yaml", "- 1\n- 2\n")); });
  EXPECT_NE(msg.find("must be a YAML mapping"), std::string::npos) << msg;
  // A list option given a scalar, a scalar option given a list.
  msg = error_of([&] { c.set_override("model.layers=3"); });
  EXPECT_NE(msg.find("model.layers must be a list"), std::string::npos) << msg;
  msg = error_of([&] { c.set_override("seed=[1, 2]"); });
  EXPECT_NE(msg.find("seed must be a single int"), std::string::npos) << msg;
  // An empty file sets nothing.
  Config d(test_table());
  d.load_file(write("empty.yaml", ""));
  EXPECT_EQ(d.get_int("seed"), 42);
}

TEST(Config, ACopyIsIndependentOfTheOriginal) {
  Config a(test_table());
  Config b = a;  // e.g. a base config copied and overridden per run
  b.set_override("seed=7");
  b.set_override("optimizer.lr=0.5");
  EXPECT_EQ(a.get_int("seed"), 42);
  EXPECT_DOUBLE_EQ(a.get_float("optimizer.lr"), 0.1);
  EXPECT_EQ(b.get_int("seed"), 7);
}

TEST(Config, TypeErrorsNameKeyValueAndType) {
  Config c(test_table());
  std::string msg = error_of([&] { c.set_override("seed=abc"); });
  EXPECT_NE(msg.find("--set: seed = 'abc' is not a valid int"), std::string::npos) << msg;
  msg = error_of([&] { c.set_override("seed=1.5"); });
  EXPECT_NE(msg.find("'1.5' is not a valid int"), std::string::npos) << msg;
  msg = error_of([&] { c.set_override("seed=99999999999999999999999"); });
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  msg = error_of([&] { c.set_override("optimizer.lr=fast"); });
  EXPECT_NE(msg.find("optimizer.lr = 'fast' is not a valid float"), std::string::npos) << msg;
  msg = error_of([&] { c.set_override("optimizer.lr=0.1x"); });
  EXPECT_NE(msg.find("is not a valid float"), std::string::npos) << msg;
  msg = error_of([&] { c.set_override("optimizer.nesterov=maybe"); });
  EXPECT_NE(msg.find("use true or false"), std::string::npos) << msg;
  // A failed set leaves the previous value in place.
  EXPECT_EQ(c.get_int("seed"), 42);
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.lr"), 0.1);
}

TEST(Config, RangeErrorsDescribeTheValidRange) {
  Config c(test_table());
  std::string msg = error_of([&] { c.set_override("optimizer.lr=0"); });
  EXPECT_NE(msg.find("optimizer.lr = 0 is out of range: must be > 0"), std::string::npos) << msg;
  EXPECT_THROW(c.set_override("optimizer.lr=-0.1"), Error);
  msg = error_of([&] { c.set_override("optimizer.momentum=1.5"); });
  EXPECT_NE(msg.find("must be [0, 1]"), std::string::npos) << msg;
  msg = error_of([&] { c.set_override("train.epochs=0"); });
  EXPECT_NE(msg.find("train.epochs = 0 is out of range"), std::string::npos) << msg;
  EXPECT_THROW(c.set_override("train.epochs=1001"), Error);
  EXPECT_THROW(c.set_override("seed=-1"), Error);
  EXPECT_THROW(c.set_override("optimizer.lr=nan"), Error);
  // Inclusive bounds are accepted; an exclusive bound accepts anything above it.
  EXPECT_NO_THROW(c.set_override("optimizer.momentum=0"));
  EXPECT_NO_THROW(c.set_override("optimizer.momentum=1"));
  EXPECT_NO_THROW(c.set_override("train.epochs=1000"));
  EXPECT_NO_THROW(c.set_override("optimizer.lr=1e-9"));
  EXPECT_DOUBLE_EQ(c.get_float("optimizer.lr"), 1e-9);
}

TEST(Config, ChoicesErrorListsTheChoices) {
  Config c(test_table());
  const std::string msg = error_of([&] { c.set_override("optimizer.name=rmsprop"); });
  EXPECT_NE(msg.find("optimizer.name = 'rmsprop' is not valid: must be one of: sgd, adam"), std::string::npos) << msg;
  c.set_override("optimizer.name=adam");
  EXPECT_EQ(c.get_string("optimizer.name"), "adam");
  // An empty value ("key:" means the empty string) is not one of the choices either.
  const std::string empty = error_of([&] { c.set_override("optimizer.name="); });
  EXPECT_NE(empty.find("optimizer.name = '' is not valid: must be one of: sgd, adam"), std::string::npos) << empty;
  EXPECT_EQ(c.get_string("optimizer.name"), "adam");
}

TEST(Config, FloatsMayBeWrittenAsFractions) {
  Config c(test_table());
  c.set_override("data.scale=1/255");
  EXPECT_DOUBLE_EQ(c.get_float("data.scale"), 1.0 / 255.0);
  EXPECT_DOUBLE_EQ(parse_float_text("3/4"), 0.75);
  EXPECT_DOUBLE_EQ(parse_float_text("-1/8"), -0.125);
  EXPECT_DOUBLE_EQ(parse_float_text("2.5e-3"), 0.0025);
  EXPECT_THROW(parse_float_text("1/0"), std::invalid_argument);
  EXPECT_THROW(parse_float_text("1/x"), std::invalid_argument);
  EXPECT_THROW(parse_float_text("1/2/3"), std::invalid_argument);
  EXPECT_THROW(c.set_override("data.scale=1/0"), Error);
  // A fraction is range-checked by its value.
  EXPECT_THROW(c.set_override("optimizer.momentum=3/2"), Error);
  EXPECT_NO_THROW(c.set_override("optimizer.momentum=1/2"));
}

TEST(Config, RequiredOptionsMissing) {
  Config c(test_table());
  std::string msg = error_of([&] { c.check_required("run.yaml"); });
  EXPECT_NE(msg.find("run.yaml: required option 'data.path' (HDF5 dataset) is not set"), std::string::npos) << msg;
  c.set_override("data.path=/x.h5");
  msg = error_of([&] { c.check_required(); });
  EXPECT_NE(msg.find("'model.layers'"), std::string::npos) << msg;
  c.set_override("model.layers=[{type: relu}]");
  EXPECT_NO_THROW(c.check_required());
}

TEST_F(ConfigFile, ToYamlRoundTripsEveryValue) {
  Config c(test_table());
  c.load_file(write("run.yaml",
                    "seed: 9\n"
                    "optimizer: {lr: 0.025, nesterov: true, name: adam}\n"
                    "data: {path: /data/train.h5}\n"
                    "model:\n  layers: [{type: dense, units: 128}, {type: relu}, {type: dense, units: 10}]\n"));
  c.set_override("data.scale=1/255");
  c.set_override("train.epochs=3");
  const std::string text = c.to_yaml();
  // Nested, not dotted.
  EXPECT_NE(text.find("optimizer:"), std::string::npos) << text;
  EXPECT_EQ(text.find("optimizer.lr"), std::string::npos) << text;

  Config back(test_table());
  back.load_file(write("resolved.yaml", text));
  for (const auto& spec : test_table()) {
    SCOPED_TRACE(spec.key);
    ASSERT_EQ(back.has(spec.key), c.has(spec.key));
    EXPECT_EQ(YAML::Dump(back.get_node(spec.key)), YAML::Dump(c.get_node(spec.key)));
  }
  EXPECT_EQ(back.get_int("seed"), 9);
  EXPECT_DOUBLE_EQ(back.get_float("optimizer.lr"), 0.025);
  EXPECT_DOUBLE_EQ(back.get_float("data.scale"), 1.0 / 255.0);
  EXPECT_EQ(back.get_int("train.epochs"), 3);
  EXPECT_EQ(back.get_string("optimizer.name"), "adam");
  EXPECT_EQ(back.get_node("model.layers").size(), 3u);
  EXPECT_EQ(back.get_node("model.layers")[2]["units"].as<int>(), 10);
  EXPECT_EQ(back.to_yaml(), text);
}

TEST_F(ConfigFile, ToYamlRoundTripsAwkwardStrings) {
  // Strings that YAML would otherwise read as something else must come back as the same string.
  for (const std::string path : {"", "/data/a: b #c.h5", "007", "true", "[x]"}) {
    SCOPED_TRACE(path);
    Config c(test_table());
    c.set("data.path", YAML::Node(path), "test");
    Config back(test_table());
    back.load_file(write("resolved.yaml", c.to_yaml()));
    EXPECT_EQ(back.get_string("data.path"), path);
  }
}

TEST(Config, ClosestKeySuggestsOnlyNearKeys) {
  const OptionTable t = test_table();
  EXPECT_EQ(closest_key(t, "optimizer.mommentum"), "optimizer.momentum");
  EXPECT_EQ(closest_key(t, "sede"), "seed");
  EXPECT_EQ(closest_key(t, "lr"), "optimizer.lr");
  EXPECT_EQ(closest_key(t, "zzzzzzzzzzzzzzzz"), "");
}

TEST_F(ConfigFile, DuplicateKeysAreAnErrorNamingBothLines) {
  Config c(test_table());
  std::string msg =
      error_of([&] { c.load_file(write("dup.yaml", "seed: 1\noptimizer:\n  lr: 0.1\n  name: sgd\n  lr: 0.5\n")); });
  EXPECT_NE(msg.find("dup.yaml:5: duplicate key 'lr' (also on line 3)"), std::string::npos) << msg;
  // Inside a layer of the list too, and at the top level.
  msg = error_of(
      [&] { c.load_file(write("dup2.yaml", "model:\n  layers:\n    - {type: dense, units: 8, units: 9}\n")); });
  EXPECT_NE(msg.find("dup2.yaml:3: duplicate key 'units' (also on line 3)"), std::string::npos) << msg;
  msg = error_of([&] { c.load_file(write("dup3.yaml", "seed: 1\nseed: 2\n")); });
  EXPECT_NE(msg.find("dup3.yaml:2: duplicate key 'seed' (also on line 1)"), std::string::npos) << msg;
}

TEST_F(ConfigFile, ADirectoryIsNotAConfigFile) {
  Config c(test_table());
  const std::string dir = write("x.yaml", "seed: 1\n");
  std::filesystem::remove(dir);
  std::filesystem::create_directory(dir);
  const std::string msg = error_of([&] { c.load_file(dir); });
  EXPECT_NE(msg.find(dir + ": is a directory, not a config file"), std::string::npos) << msg;
}

}  // namespace
}  // namespace dpt

namespace dpt {
namespace {

// Ints: one integer or a list of integers (per-axis layer sizes), each element range-checked.
TEST(Config, IntsTakeOneIntOrAListOfInts) {
  Config c({{.key = "k", .type = OptType::Ints, .default_value = "3", .help = "kernel", .min = 1, .max = 9}});
  EXPECT_EQ(c.get_ints("k"), (std::vector<int64_t>{3}));
  EXPECT_EQ(c.get_int("k"), 3);
  c.set("k", YAML::Load("[3, 1, 5]"), "net.yaml:4");
  EXPECT_EQ(c.get_ints("k"), (std::vector<int64_t>{3, 1, 5}));
  EXPECT_NE(c.to_yaml().find("k:"), std::string::npos);
  EXPECT_EQ(std::string(type_name(OptType::Ints)), "int or list");
  const auto err = [&](const char* v) { return test::error_of([&] { c.set("k", YAML::Load(v), "net.yaml:4"); }); };
  EXPECT_EQ(err("[3, 0, 5]"), "net.yaml:4: k = [3, 0, 5] is out of range: must be [1, 9]");
  EXPECT_EQ(err("[3, x]"), "net.yaml:4: k must be an int or a non-empty list of ints (e.g. 3 or [3, 5]), got '[3, x]'");
  EXPECT_EQ(err("[]"), "net.yaml:4: k must be an int or a non-empty list of ints (e.g. 3 or [3, 5]), got '[]'");
  EXPECT_EQ(err("[2.5]"), "net.yaml:4: k must be an int or a non-empty list of ints (e.g. 3 or [3, 5]), got '[2.5]'");
  EXPECT_EQ(err("12"), "net.yaml:4: k = 12 is out of range: must be [1, 9]");
  EXPECT_EQ(err("two"), "net.yaml:4: k = 'two' is not a valid int or list");
  EXPECT_EQ(c.get_ints("k"), (std::vector<int64_t>{3, 1, 5}));  // a refused value leaves the last one
}

}  // namespace
}  // namespace dpt
