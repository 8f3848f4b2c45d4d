#include "train/checkpointing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "checkpoint/checkpoint_dir.hpp"
#include "checkpoint/checkpoint_file.hpp"
#include "core/error.hpp"

namespace dpt {

namespace {
nlohmann::json state_json(const TrainState& s, int64_t optimizer_steps, const std::string& optimizer,
                          const PowerSgd* psgd) {
  nlohmann::json j = {{"epoch", s.epoch},
          {"step_in_epoch", s.step_in_epoch},
          {"step", s.step},
          {"loss_sum", s.loss_sum},
          {"seen", s.seen},
          {"correct", s.correct},
          {"skipped", s.skipped},
          {"elapsed_s", s.elapsed_s},
          {"early_stopping", s.early},
          {"optimizer", optimizer},
          {"optimizer_steps", optimizer_steps}};
  if (psgd) j["powersgd_layout"] = psgd->layout();  // what /comm_state holds
  return j;
}

// The PowerSGD state of the checkpoint `path` (trainer state j) fits `psgd` (this run's)? Else
// rank 0 says why it is not used: another layout (comm.bucket_kb or comm.powersgd_rank changed),
// none in the file, or the run does not compress (its pending errors are dropped).
bool powersgd_fits(const std::string& path, const nlohmann::json& j, const PowerSgd* psgd, const Comm* comm) {
  const std::string saved = j.value("powersgd_layout", "");
  const bool log = comm && comm->rank() == 0;
  if (psgd && saved == psgd->layout()) return true;
  if (psgd && !saved.empty() && log)
    spdlog::warn("{}: its PowerSGD state was written for another layout ('{}', this run: '{}'; comm.bucket_kb or "
                 "comm.powersgd_rank changed): the compressor starts afresh",
                 path, saved, psgd->layout());
  else if (psgd && log)
    spdlog::info("{}: no PowerSGD state in it: the compressor starts afresh", path);
  else if (!saved.empty() && log)
    spdlog::warn("{}: holds PowerSGD error feedback that this run does not use (comm.compress is not powersgd, or one "
                 "rank): the gradient it had left out of earlier steps is dropped",
                 path);
  return false;
}

CheckpointArrays arrays(Model& m, Optimizer& opt, PowerSgd* psgd, const Comm* comm) {
  CheckpointArrays a{m.store().params(), m.store().size(),     opt.state().data(),
                     opt.slots() * opt.n_params(), m.buffers().params(), m.buffers().size()};
  a.opt_sharded = opt.sharded();  // optimizer.shard: this rank's part of the state only
  a.opt_slots = opt.slots(), a.opt_begin = opt.shard().begin, a.opt_end = opt.shard().end;
  if (psgd && comm) {
    a.comm_state = psgd->state(), a.comm_row = psgd->state_size(), a.comm_additive = psgd->errors_size();
    a.comm_rank = comm->rank(), a.comm_ranks = comm->size();
  }
  return a;
}
}  // namespace

std::string param_index(const Model& model) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto* store : {&model.store(), &model.buffers()})
    for (const auto& v : store->views())
      j[store == &model.store() ? "params" : "buffers"].push_back(
          {{"name", v.name}, {"offset", v.offset}, {"shape", v.shape}});
  return j.dump();
}

std::string save_checkpoint(const std::string& dir, int keep, Model& model, Optimizer& opt, const TrainState& st,
                            const std::string& config_yaml, const Comm& comm, PowerSgd* psgd) {
  const std::string path = checkpoint_path(dir, st.step);
  const double t_write = wall_time();
  // Inside an epoch, local batchnorm's running statistics differ per rank (the epoch's end averages
  // them): the file gets their average, one consistent array; the run keeps its own.
  ParamStore& b = model.buffers();
  const std::vector<float> own(b.params(), b.params() + b.size());
  average_buffers(b, comm);
  CheckpointMeta meta{
      st.step,    model.architecture(), config_yaml, state_json(st, opt.steps(), opt.name(), psgd).dump(),
      param_index(model), comm.size()};
  write_checkpoint(path, meta, arrays(model, opt, psgd, &comm), comm);
  std::copy(own.begin(), own.end(), b.params());
  if (comm.rank() == 0) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    spdlog::info("checkpoint {} (step {}, {:.1f} MB in {:.3f} s)", path, st.step, static_cast<double>(bytes) / 1e6,
                 wall_time() - t_write);
  }
  if (comm.rank() == 0) prune_checkpoints(dir, keep);
  return path;
}

void average_buffers(ParamStore& b, const Comm& comm) {
  if (b.size() == 0 || comm.size() == 1) return;
  // In double: P identical values (sync batchnorm) average back to exactly the same float.
  std::vector<double> v(b.params(), b.params() + b.size());
  comm.allreduce_sum(v.data(), b.size());
  for (int64_t i = 0; i < b.size(); ++i) b.params()[i] = static_cast<float>(v[i] / comm.size());
}

TrainState load_checkpoint(const std::string& path, Model& model, Optimizer& opt, PowerSgd* psgd, const Comm* comm) {
  const CheckpointMeta meta = read_checkpoint_meta(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(meta.trainer_state);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: trainer_state is not valid JSON: {}", path, e.what());
  }
  if (j.value("optimizer", "") != opt.name())
    fail("{}: holds '{}' optimizer state but this run uses optimizer.name = {}", path, j.value("optimizer", "?"),
         opt.name());
  CheckpointArrays a = arrays(model, opt, powersgd_fits(path, j, psgd, comm) ? psgd : nullptr, comm);
  read_checkpoint_arrays(path, a);
  if (!a.comm_restored.empty() && comm && comm->rank() == 0)
    spdlog::info("comm.compress powersgd: compressor state from {}: {}", path, a.comm_restored);
  opt.set_steps(j.at("optimizer_steps").get<int64_t>());
  TrainState s;
  s.epoch = j.at("epoch"), s.step_in_epoch = j.at("step_in_epoch"), s.step = j.at("step");
  s.loss_sum = j.at("loss_sum"), s.seen = j.at("seen"), s.correct = j.at("correct");
  s.skipped = j.at("skipped"), s.elapsed_s = j.at("elapsed_s"), s.early = j.at("early_stopping");
  return s;
}

}  // namespace dpt
