// dptrain prepare fashion-mnist --out FILE.h5 [--source DIR]   (every subcommand: [--compression gzip|none])
// dptrain prepare csv IN.csv --label COLUMN --out OUT.h5 [--drop-duplicates] [--missing drop|mean|median]
//                     [--normalize none|minmax|zscore] [--split 0.8,0.1,0.1] [--seed N]
//                     [--task classification|regression] [--standardize-target]
// dptrain prepare idx --train-images F --train-labels F [--test-images F --test-labels F] --out OUT.h5
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "h5/write_options.hpp"
#include "prepare/csv.hpp"
#include "prepare/fashion_mnist.hpp"
#include "prepare/idx.hpp"

namespace dpt::cli {

namespace {
// --compression on a prepare subcommand; returns where the choice lands (applied by apply()).
std::shared_ptr<std::string> add_compression(CLI::App* c) {
  auto v = std::make_shared<std::string>("gzip");
  c->add_option("--compression", *v,
                "gzip: shuffle + gzip (small); none: no filters, 2-4x larger but read without decompressing "
                "(for streaming with data.memory_budget)")
      ->check(CLI::IsMember({"gzip", "none"}))
      ->capture_default_str();
  return v;
}
void apply(const std::string& compression) { set_write_compression(parse_compression(compression, "--compression")); }

Run add_fashion_mnist(CLI::App* cmd) {
  auto* fm =
      cmd->add_subcommand("fashion-mnist", "Fashion-MNIST IDX files (Debian package dataset-fashion-mnist) -> HDF5");
  struct Args {
    std::string out, source = kFashionMnistDir;
  };
  auto a = std::make_shared<Args>();
  fm->add_option("--out,-o", a->out, "output HDF5 file")->required();
  fm->add_option("--source", a->source, "directory with the four *-ubyte.gz files")->capture_default_str();
  fm->footer(
      "Layout: /train/images (60000,28,28) uint8, /train/labels (60000,) uint8, /test/images (10000,28,28),\n"
      "/test/labels (10000,); chunked (1024 rows), shuffle + gzip; root attributes 'classes' and 'source'.");
  const auto compression = add_compression(fm);
  return [a, compression] {
    apply(*compression);
    const PrepareSummary s = prepare_fashion_mnist(a->source, a->out);
    spdlog::info("wrote {}: {} training and {} test images; training samples per class: {}", a->out, s.train, s.test,
                 fmt::join(s.train_class_counts, " "));
    return 0;
  };
}

Run add_csv(CLI::App* cmd) {
  auto* c = cmd->add_subcommand("csv", "a CSV table (header row, integer label column, numeric features) -> HDF5");
  struct Args {
    CsvPrepareOptions o;
    std::string missing = "error", normalize = "none", split = "0.8,0.1,0.1", task = "classification";
  };
  auto a = std::make_shared<Args>();
  c->add_option("input", a->o.input, "CSV file")->required();
  c->add_option("--label,-l", a->o.label,
                "name of the label column (integer classes 0, 1, ...; regression: the target)")
      ->required();
  c->add_option("--task", a->task,
                "classification: integer labels stored as int32; regression: a numeric target "
                "stored as float32 (train with loss: mse)")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->capture_default_str();
  c->add_flag("--standardize-target", a->o.standardize_target,
              "regression: store the target as (t - mean) / sd of the training split (attributes target_offset, "
              "target_scale on the labels)");
  c->add_option("--out,-o", a->o.out, "output HDF5 file")->required();
  c->add_flag("--drop-duplicates", a->o.drop_duplicates, "drop rows equal to an earlier row (features and label)");
  c->add_option("--missing", a->missing,
                "empty/NA/NaN cells: drop the row, or fill with the training mean or median "
                "(default: stop with an error)")
      ->check(CLI::IsMember({"error", "drop", "mean", "median"}));
  c->add_option("--normalize", a->normalize, "feature normalization from training statistics, applied by the trainer")
      ->check(CLI::IsMember({"none", "minmax", "zscore"}))
      ->capture_default_str();
  c->add_option("--split", a->split, "train,val,test fractions")->capture_default_str();
  c->add_option("--seed", a->o.seed, "seed of the split assignment")->capture_default_str();
  c->footer(
      "Layout: /train/features (N, D) float32 (raw values; attributes feature_names, normalize, offset, scale:\n"
      "the trainer feeds (x - offset) * scale), /train/labels (N) int32; the same under /val and /test.\n"
      "Train with data.train_features=/train/features, data.train_labels=/train/labels, and the same for test.\n"
      "Streams the file (2 passes; 5 with --missing median): files larger than memory work.");
  const auto compression = add_compression(c);
  return [a, compression] {
    apply(*compression);
    a->o.regression = a->task == "regression";
    if (a->o.standardize_target && !a->o.regression) fail("--standardize-target needs --task regression");
    a->o.missing = parse_missing(a->missing);
    a->o.normalize = parse_normalize(a->normalize);
    a->o.split = parse_split(a->split);
    const CsvPrepareReport r = prepare_csv(a->o);
    spdlog::info("{}", format_report(a->o, r));
    return 0;
  };
}

Run add_idx(CLI::App* cmd) {
  auto* c = cmd->add_subcommand("idx", "IDX files of any element type (MNIST family, plain or .gz) -> HDF5");
  struct Args {
    IdxSplitFiles train, test;
    std::string out;
  };
  auto a = std::make_shared<Args>();
  c->add_option("--train-images", a->train.images, "IDX file of the training samples (N, ...)")->required();
  c->add_option("--train-labels", a->train.labels, "IDX file of the training labels (N), integers")->required();
  c->add_option("--test-images", a->test.images, "IDX file of the test samples");
  c->add_option("--test-labels", a->test.labels, "IDX file of the test labels");
  c->add_option("--out,-o", a->out, "output HDF5 file")->required();
  c->footer(
      "Layout: /train/images (N, ...) in the IDX element type (uint8, int8, int16, int32, float32, float64),\n"
      "/train/labels (N) in the labels' integer type; /test/... the same when given.");
  const auto compression = add_compression(c);
  return [a, compression] {
    apply(*compression);
    const IdxPrepareSummary s = prepare_idx(a->train, a->test, a->out);
    std::vector<std::string> counts;
    for (const auto& [label, n] : s.train_class_counts) counts.push_back(fmt::format("{}: {}", label, n));
    spdlog::info("wrote {}: {} training and {} test samples of {} {}, labels {}; training samples per class: {{{}}}",
                 a->out, s.train, s.test, fmt::join(s.sample_dims, "x"), s.image_type, s.label_type,
                 fmt::join(counts, ", "));
    return 0;
  };
}
}  // namespace

Run add_prepare(CLI::App& app) {
  auto* cmd = app.add_subcommand("prepare", "convert a data set to dptrain's HDF5 layout");
  cmd->require_subcommand(1);
  const Run fm = add_fashion_mnist(cmd), csv = add_csv(cmd), idx = add_idx(cmd);
  return [cmd, fm, csv, idx] {
    if (cmd->got_subcommand("csv")) return csv();
    if (cmd->got_subcommand("idx")) return idx();
    return fm();
  };
}

}  // namespace dpt::cli
