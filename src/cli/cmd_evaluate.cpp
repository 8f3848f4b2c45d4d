// dptrain evaluate --model RUN/model.h5 [--data FILE.h5] [--features PATH --labels PATH] [--json]
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "checkpoint/model_file.hpp"
#include "cli/commands.hpp"
#include "comm/comm.hpp"
#include "core/error.hpp"
#include "data/sampler.hpp"
#include "kernels/threads.hpp"
#include "train/evaluator.hpp"
#include "train/train_config.hpp"

namespace dpt::cli {

Run add_evaluate(CLI::App& app) {
  auto* cmd = app.add_subcommand("evaluate", "loss and accuracy of a trained model on a data split (any rank count)");
  struct Args {
    std::string model, data, features = "/test/images", labels = "/test/labels";
    int64_t batch = 1000;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model,-m", a->model, "model file written by train (RUN_DIR/model.h5)")->required();
  cmd->add_option("--data,-d", a->data, "HDF5 file (default: the training config's data.file)");
  cmd->add_option("--features", a->features, "features dataset")->capture_default_str();
  cmd->add_option("--labels", a->labels, "labels dataset")->capture_default_str();
  cmd->add_option("--batch", a->batch, "batch size per rank")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--json", a->json, "print one JSON object instead of text");
  return [a] {
    const Comm world;
    kern::configure_threads(kern::auto_threads(world.local_size()));
    const ModelFileInfo info = read_model_info(a->model);
    Config cfg(train_options());
    cfg.load_yaml(YAML::Load(info.config_yaml), a->model + ":config");
    const TrainSettings s = read_settings(cfg);
    const SplitPaths paths{a->data.empty() ? s.train.file : a->data, a->features, a->labels, "--features", "--labels"};
    SampleSource src(paths, s.scale);
    if (src.sample_shape() != info.input_shape)
      fail("{}: samples '{}' are {} but the model {} takes {}", paths.file, paths.features,
           shape_str(src.sample_shape()), a->model, shape_str(info.input_shape));
    Model model(s.layers, info.input_shape, a->batch, a->model + ":config");
    load_model_params(a->model, model);
    const auto [lo, hi] = block_range(src.size(), world.rank(), world.size());
    src.check_labels(lo, hi, numel(model.output_shape()));
    const EvalResult r = evaluate(model, *make_loss<float>(s.loss), load_block(src, lo, hi), world);
    if (world.rank() != 0) return 0;
    if (a->json)
      fmt::print("{}\n", nlohmann::json{{"model", a->model}, {"data", paths.file}, {"samples", r.samples},
                                        {"loss", r.loss}, {"accuracy", r.accuracy}}.dump());
    else
      fmt::print("{}: {} samples of {}: loss {:.4f}, accuracy {:.4f}\n", a->model, r.samples, paths.file, r.loss,
                 r.accuracy);
    return 0;
  };
}

}  // namespace dpt::cli
