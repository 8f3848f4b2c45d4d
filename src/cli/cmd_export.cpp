// dptrain export --model RUN/model.h5 --out model.onnx [--data FILE.h5 --features PATH --labels PATH]
//                [--logits]
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "checkpoint/model_graph.hpp"
#include "cli/commands.hpp"
#include "cli/trained_model.hpp"
#include "core/error.hpp"
#include "h5/class_names.hpp"
#include "h5/file.hpp"
#include "h5/write.hpp"
#include "layers/loss.hpp"
#include "onnx_export/onnx_export.hpp"

namespace dpt::cli {

namespace {

struct Args {
  std::string model, out, data, features, labels;
  bool logits = false;
};

// What the model's input is made of: the conversion of the split's reader (h5/sample_source.hpp).
void add_input_transform(const SampleSource& src, float scale, OnnxExportSpec& spec, std::string& described) {
  const FeatureNorm& norm = src.norm();
  const std::string where = fmt::format("{}:{}", src.paths().file, src.paths().features);
  if (norm.active()) {
    for (size_t j = 0; j < norm.offset.size(); ++j) {  // as SampleSource: float offset, float(scale * data.scale)
      spec.offset.push_back(static_cast<float>(norm.offset[j]));
      spec.mul.push_back(static_cast<float>(norm.scale[j] * scale));
    }
    described = fmt::format("(features - offset) * scale: the stored {} normalization of {} times data.scale {}",
                            norm.method.empty() ? "feature" : norm.method, where, scale);
  } else {
    spec.scale = scale;
    described = fmt::format("features * {} (data.scale; {} has no stored normalization)", scale, where);
  }
}

OnnxExportSpec spec_for(const TrainedModel& m, const SampleSource& src, const Args& a) {
  OnnxExportSpec spec;
  std::string transform;
  add_input_transform(src, m.settings.data.scale, spec, transform);
  const bool regression = is_regression_loss(m.settings.loss);
  spec.probabilities = !regression && !a.logits;
  const std::string output = regression ? "predictions" : a.logits ? "logits" : "probabilities";
  spec.output_name = output;
  const Shape& in = m.model->input_shape();
  spec.description =
      fmt::format("dptrain model {} (epoch {}, step {}): input 'features' float32 (N, {}): the stored feature "
                  "values as float32; the model applies {}. Output '{}' (N, {}).",
                  m.path, m.info.epoch, m.info.step, fmt::join(in, ", "), transform, output,
                  fmt::join(m.model->output_shape(), ", "));
  spec.metadata = {{"dptrain_model", m.path},
                   {"dptrain_epoch", std::to_string(m.info.epoch)},
                   {"dptrain_step", std::to_string(m.info.step)},
                   {"input_transform", transform},
                   {"dptrain_config", m.info.config_yaml},
                   {"dptrain_graph", graph_json(*m.model)}};
  const auto& p = src.paths();
  if (!regression && p.files.size() <= 1 && std::filesystem::is_regular_file(p.file)) {
    const std::vector<std::string> names = read_class_names(p.file, m.classes());
    if (!names.empty()) spec.metadata.emplace_back("class_names", nlohmann::json(names).dump());  // escaped JSON
  }
  return spec;
}

void check_out(const Args& a) {
  namespace fs = std::filesystem;
  if (fs::path(a.out).extension() != ".onnx")
    fail("--out '{}': the ONNX file's name must end in .onnx (so that no other file is replaced by mistake)", a.out);
  std::error_code ec;
  if (fs::exists(a.out) && fs::equivalent(a.out, a.model, ec)) fail("--out '{}' is the model file itself", a.out);
}

}  // namespace

Run add_export(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "export",
      "the trained network as an ONNX model for ONNX Runtime and other ONNX tools (opset 17): dropout removed, "
      "batchnorm with its running statistics, the input conversion (data.scale, stored normalization) as its "
      "first nodes, softmax probabilities at the end; class names and the config as metadata");
  auto a = std::make_shared<Args>();
  cmd->add_option("--model,-m", a->model, "model file written by train (RUN_DIR/model.h5)")->required();
  cmd->add_option("--out,-o", a->out, "FILE.onnx (written atomically; an existing file is replaced)")->required();
  cmd->add_option("--data,-d", a->data,
                  "HDF5 file whose features' stored normalization the model applies (default: the model config's "
                  "data.test_file, else its data.file; the file predict would read)");
  cmd->add_option("--features", a->features,
                  "features dataset (default: the model config's data.test_features, else /test/images)");
  cmd->add_option("--labels", a->labels,
                  "labels dataset of the same rows (opened with the features, as predict does; not used; default: "
                  "the model config's data.test_labels, else /test/labels)");
  cmd->add_flag("--logits", a->logits, "output 'logits' (N, C), without the softmax");
  cmd->footer(model_config_help());
  return [a] {
    check_out(*a);
    const TrainedModel m = load_trained_model(a->model, 1);
    const SampleSource src = open_eval_split(m, a->data, a->features, a->labels);
    const std::string bytes = export_onnx(*m.model, spec_for(m, src, *a));
    h5::write_atomically(a->out, [&](const std::string& tmp) {
      std::ofstream f(tmp, std::ios::binary);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      f.close();
      if (!f) fail("{}: write failed (disk full?)", tmp);
      h5::fsync_path(tmp, false);
    });
    spdlog::info("wrote {}: {} nodes of the model {} ({} bytes, ONNX opset 17)", a->out, m.model->layer_count(),
                 a->model, bytes.size());
    return 0;
  };
}

}  // namespace dpt::cli
