#include "checkpoint/state_dict_file.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "h5/arrays.hpp"
#include "h5/file.hpp"

namespace dpt {

namespace {

// Where a tensor may be, in order (the last for dptrain's own model files).
std::vector<std::string> candidates(const std::string& name, const char* own_group) {
  return {"/" + name, "/state_dict/" + name, std::string("/") + own_group + "/" + name};
}

// Loads the tensors of `store` that are found; required: a missing one is an error.
void load_store(hid_t f, const std::string& path, ParamStore& store, const char* own_group, bool required,
                const Model& model) {
  for (const auto& v : store.views()) {
    const auto places = candidates(v.name, own_group);
    std::string found;
    for (const auto& p : places)
      if (h5::exists(f, p)) {
        found = p;
        break;
      }
    const std::string layer = fmt::format("layers.{} ({})", v.layer, model.graph().spec(v.layer).type);
    if (found.empty()) {
      if (!required) continue;
      fail("{}: train.init_from: tensor '{}' not found (looked for {}); {} needs it with shape {} (other names, "
           "e.g. an nn.Sequential's? train.init_from_match: position)",
           path, v.name, fmt::join(places, ", "), layer, shape_str(v.shape));
    }
    h5::Handle d = h5::open_dataset(f, path, found, "train.init_from");
    const Shape got = h5::dims(d.get());
    if (got != v.shape)
      fail("{}: train.init_from: tensor '{}' has shape {} but {} needs {}", path, found, shape_str(got), layer,
           shape_str(v.shape));
    if (!h5::read_f32(d.get(), store.params() + v.offset))
      fail("{}: train.init_from: reading '{}' failed (not numbers, or a corrupt file?)", path, found);
  }
}

bool is_statistic(const std::string& name) {
  auto ends = [&](const std::string& s) { return name.size() >= s.size() && name.ends_with(s); };
  return ends("running_mean") || ends("running_var") || ends("num_batches_tracked");
}

// By position: the file's tensors (the datasets of /state_dict, else of the root, in creation
// order: see state_dict_file.hpp) fill the model's tensors of `store` in order.
void load_by_position(hid_t f, const std::string& path, const std::string& group, const std::vector<std::string>& names,
                      ParamStore& store, const Model& model, const char* what) {
  const auto& views = store.views();
  if (names.size() != views.size())
    fail("{}: train.init_from (train.init_from_match: position): the file has {} {} tensors in '{}', the model {}",
         path, names.size(), what, group, views.size());
  std::string mapping;  // logged: same shapes in another order would load silently into the wrong layers
  for (size_t i = 0; i < views.size(); ++i) {
    const ParamView& v = views[i];
    const std::string found = (group == "/" ? "/" : group + "/") + names[i];
    mapping += fmt::format("{}{} -> {}", i ? ", " : "", names[i], v.name);
    h5::Handle d = h5::open_dataset(f, path, found, "train.init_from");
    const Shape got = h5::dims(d.get());
    if (got != v.shape)
      fail("{}: train.init_from (by position): {} tensor {} '{}' has shape {} but the model's {} ({}) needs {}", path,
           what, i + 1, found, shape_str(got), v.name, model.graph().spec(v.layer).type, shape_str(v.shape));
    if (!h5::read_f32(d.get(), store.params() + v.offset))
      fail("{}: train.init_from: reading '{}' failed (not numbers, or a corrupt file?)", path, found);
  }
  spdlog::info("train.init_from by position ({} tensors of {}): {}", what, path, mapping);
}

void load_positions(hid_t f, const std::string& path, Model& model) {
  const std::string group = h5::exists(f, "/state_dict") ? "/state_dict" : "/";
  std::vector<std::string> params, stats;
  bool ordered = false;
  const std::vector<std::string> names = h5::dataset_names(f, group, &ordered);
  if (!ordered)
    fail("{}: train.init_from_match: position needs the order of the tensors, and '{}' does not keep it: write the "
         "file with {} (docs/interop.md)",
         path, group,
         group == "/" ? "h5py.File(path, \"w\", track_order=True)"
                      : "h5py.File(path, \"w\", track_order=True) and f.create_group(\"state_dict\", track_order=True)");
  for (const std::string& n : names) {
    if (n.ends_with("num_batches_tracked")) continue;
    (is_statistic(n) ? stats : params).push_back(n);
  }
  load_by_position(f, path, group, params, model.store(), model, "parameter");
  if (!stats.empty()) load_by_position(f, path, group, stats, model.buffers(), model, "running-statistics");
}

}  // namespace

void load_state_dict_file(const std::string& path, Model& model, InitMatch match) {
  h5::Handle f = h5::open_read(path);
  if (match == InitMatch::Position) return load_positions(f.get(), path, model);
  load_store(f.get(), path, model.store(), "params", true, model);
  load_store(f.get(), path, model.buffers(), "buffers", false, model);
}

}  // namespace dpt
