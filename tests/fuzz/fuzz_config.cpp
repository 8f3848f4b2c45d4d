// libFuzzer harness: YAML text -> the train config, as `dptrain train -c FILE --set ...` loads it
// (load_train_config: Config::load_file, the overrides, check_required, read_settings' checks).
// Lines "#set key=value" (YAML comments) are also passed as --set overrides. A dpt::Error is the
// expected answer to bad input; any other exception, a crash or undefined behaviour is a finding.
// A config that loads must also survive the round trip the run directory and checkpoints make:
// to_yaml() loads again into the same settings.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "fuzz/fuzz_common.hpp"
#include "train/train_config.hpp"

namespace {
std::vector<std::string> overrides_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("#set ", 0) == 0) out.push_back(line.substr(5));
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string& path = dpt::fuzz::input_path(".yaml");
  dpt::fuzz::write_input(path, data, size);
  dpt::Config cfg(dpt::train_options());
  try {
    cfg = dpt::load_train_config(path, overrides_of(text)).cfg;
  } catch (const dpt::Error&) {
    return 0;  // rejected with a message: fine
  }
  const std::string yaml = cfg.to_yaml();
  dpt::fuzz::write_input(path, reinterpret_cast<const uint8_t*>(yaml.data()), yaml.size());
  try {
    const dpt::Config again = dpt::load_train_config(path, {}).cfg;
    if (again.to_yaml() != yaml) {
      std::fprintf(stderr, "round trip changed the config:\n%s\n---- became ----\n%s\n", yaml.c_str(),
                   again.to_yaml().c_str());
      std::abort();
    }
  } catch (const dpt::Error& e) {
    std::fprintf(stderr, "a loaded config does not load again from its to_yaml():\n%s\nerror: %s\n", yaml.c_str(),
                 e.what());
    std::abort();
  }
  return 0;
}
