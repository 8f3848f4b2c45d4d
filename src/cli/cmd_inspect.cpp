// dptrain inspect FILE [--json]: what a checkpoint or a model file holds. Exit code 1 when a
// checkpoint fails its integrity check.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint_file.hpp"
#include "cli/commands.hpp"
#include "cli/trained_model.hpp"
#include "core/error.hpp"

namespace dpt::cli {

namespace {
nlohmann::json inspect_checkpoint(const std::string& path) {
  const CheckpointMeta m = read_checkpoint_meta(path);
  std::string integrity = "ok: every array matches its crc32";
  try {
    verify_checkpoint_data(path);
  } catch (const Error& e) {
    integrity = std::string("DAMAGED: ") + e.what();
  }
  nlohmann::json state = nlohmann::json::parse(m.trainer_state, nullptr, false);
  nlohmann::json index = nlohmann::json::parse(m.param_index, nullptr, false);
  return {{"file", path},
          {"format", "dptrain-checkpoint"},
          {"step", m.step},
          {"written_by_ranks", m.ranks},
          {"architecture", m.architecture},
          {"trainer_state", state},
          {"tensors", index},
          {"integrity", integrity},
          {"config", m.config_yaml}};
}

nlohmann::json inspect_model(const std::string& path) {
  const TrainedModel t = load_trained_model(path, 1);
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto* store : {&t.model->store(), &t.model->buffers()})
    for (const auto& v : store->views()) tensors.push_back({{"name", v.name}, {"shape", v.shape}});
  return {{"file", path},
          {"format", "dptrain-model"},
          {"epoch", t.info.epoch},
          {"step", t.info.step},
          {"input_shape", t.info.input_shape},
          {"parameters", t.model->store().size()},
          {"architecture", t.model->architecture()},
          {"summary", t.model->summary()},
          {"tensors", tensors},
          {"config", t.info.config_yaml}};
}

void print_text(const nlohmann::json& j) {
  fmt::print("{}: {}\n", j["file"].get<std::string>(), j["format"].get<std::string>());
  for (const auto& [k, v] : j.items()) {
    if (k == "file" || k == "format" || k == "config" || k == "tensors") continue;
    fmt::print("  {:<16} {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
  }
  fmt::print("  tensors          {}\n", j["tensors"].dump());
  fmt::print("  config:\n{}", j["config"].get<std::string>());
}
}  // namespace

Run add_inspect(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("inspect", "show what a checkpoint or model file holds (and check a checkpoint's crc32)");
  struct Args {
    std::string file;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("file", a->file, "RUN/model.h5, RUN/best_model.h5 or RUN/checkpoints/ckpt-*.h5")->required();
  cmd->add_flag("--json", a->json, "print one JSON object");
  return [a] {
    const std::string format = read_format(a->file);
    nlohmann::json j;
    if (format == "dptrain-checkpoint")
      j = inspect_checkpoint(a->file);
    else if (format == "dptrain-model")
      j = inspect_model(a->file);
    else
      fail("{}: not a dptrain checkpoint or model file (format attribute '{}')", a->file, format);
    if (a->json)
      fmt::print("{}\n", j.dump(2));
    else
      print_text(j);
    // A damaged checkpoint is a failed check: scripts that gate on `dptrain inspect` must see it.
    const bool damaged = j.contains("integrity") && j["integrity"].get<std::string>().rfind("DAMAGED", 0) == 0;
    return damaged ? 1 : 0;
  };
}

}  // namespace dpt::cli
