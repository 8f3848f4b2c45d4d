// Initial weights from a PyTorch state_dict saved to HDF5 (train.init_from). The file holds one
// dataset per tensor, named like the state_dict's keys and dptrain's parameters
// ("layers.0.weight", "layers.1.running_mean"), any float or integer type, looked up as
//   /<name>              (h5py: for k, v in sd.items(): f[k] = v.numpy())
//   /state_dict/<name>   (the same under a group)
//   /params/<name>, /buffers/<name>   (a dptrain model.h5: fine-tuning a trained model)
// Every parameter must be there with the model's shape; batchnorm running statistics are loaded
// when present (shape-checked) and keep their initial values otherwise; other tensors (e.g.
// num_batches_tracked) are ignored.
// By position (train.init_from_match: position), for a state_dict with other names (a PyTorch
// nn.Sequential's "1.weight", a module's "fc1.weight"): the datasets of /state_dict, else of the
// root, in creation order, which the file must track (h5py.File(path, "w", track_order=True), as
// the snippet of docs/interop.md writes it; else an error says so); those named *running_mean or
// *running_var fill the batchnorm statistics in order (all or none), num_batches_tracked is
// skipped, the others fill the parameters in order: the counts and every shape must match.
#pragma once
#include <string>

#include "model/model.hpp"

namespace dpt {

// Overwrites the model's parameters (and the statistics present) from `path`; throws naming the
// file and the first missing or mismatched tensor with the expected and the found shape.
enum class InitMatch { Name, Position };
void load_state_dict_file(const std::string& path, Model& model, InitMatch match = InitMatch::Name);

}  // namespace dpt
