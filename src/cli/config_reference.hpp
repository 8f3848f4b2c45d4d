// docs/config.md, generated from the option tables that parse and validate the config (the train
// table and each layer type's table), so the reference cannot drift from the code: the ctest
// docs_config_reference fails when the committed file differs from config_reference().
#pragma once
#include <string>

namespace dpt::cli {

std::string config_reference();  // Markdown

}  // namespace dpt::cli
