// What a checkpoint holds beyond parameters and optimizer state: the position of the run, so that
// a resumed run continues exactly where the saved one was (same data order, same learning rate).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "comm/comm.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "train/powersgd.hpp"

namespace dpt {

struct TrainState {
  int64_t epoch = 0;                           // epoch to run next (0-based)
  int64_t step_in_epoch = 0;                   // first step of that epoch still to run
  int64_t step = 0;                            // optimizer steps done
  double loss_sum = 0, seen = 0, correct = 0;  // this epoch so far, summed over ranks
  int64_t skipped = 0;                         // steps skipped for non-finite gradients
  double elapsed_s = 0;                        // training time before this process
  nlohmann::json early;                        // early-stopping tracker
};

// Collective: the running statistics (model.buffers()) become their average over ranks, as
// at an epoch's end (local batchnorm keeps its own per rank until then). Cost: one allreduce.
void average_buffers(ParamStore& buffers, const Comm& comm);

// Collective: all ranks write DIR/ckpt-<step>.h5 (see checkpoint_file.hpp) with the ranks' average
// running statistics (the model keeps its own); rank 0 logs its size and write time and keeps the
// newest `keep`. Returns the path. psgd: comm.compress: powersgd's state (each rank its row), or null.
std::string save_checkpoint(const std::string& dir, int keep, Model& model, Optimizer& opt, const TrainState& st,
                            const std::string& config_yaml, const Comm& comm, PowerSgd* psgd = nullptr);

// Loads `path` into model, optimizer, the PowerSGD state when psgd is not null (rank 0 logs how:
// checkpoint_file.hpp) and state (every rank reads the file).
TrainState load_checkpoint(const std::string& path, Model& model, Optimizer& opt, PowerSgd* psgd = nullptr,
                           const Comm* comm = nullptr);

// JSON index of the tensors in /params and /buffers (name, offset, shape) for h5py users.
std::string param_index(const Model& model);

}  // namespace dpt
