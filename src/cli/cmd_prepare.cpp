// dptrain prepare fashion-mnist --out FILE.h5 [--source DIR]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "data/prepare_idx.hpp"

namespace dpt::cli {

Run add_prepare(CLI::App& app) {
  auto* cmd = app.add_subcommand("prepare", "convert a data set to dptrain's HDF5 layout");
  cmd->require_subcommand(1);
  auto* fm = cmd->add_subcommand("fashion-mnist", "Fashion-MNIST IDX files (Debian package dataset-fashion-mnist) -> HDF5");
  struct Args {
    std::string out, source = kFashionMnistDir;
  };
  auto a = std::make_shared<Args>();
  fm->add_option("--out,-o", a->out, "output HDF5 file")->required();
  fm->add_option("--source", a->source, "directory with the four *-ubyte.gz files")->capture_default_str();
  fm->footer(
      "Layout: /train/images (60000,28,28) uint8, /train/labels (60000,) uint8, /test/images (10000,28,28),\n"
      "/test/labels (10000,); chunked (1024 rows), shuffle + gzip; root attributes 'classes' and 'source'.");
  return [a] {
    const PrepareSummary s = prepare_fashion_mnist(a->source, a->out);
    spdlog::info("wrote {}: {} training and {} test images; training samples per class: {}", a->out, s.train, s.test,
                 fmt::join(s.train_class_counts, " "));
    return 0;
  };
}

}  // namespace dpt::cli
