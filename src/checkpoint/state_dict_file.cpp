#include "checkpoint/state_dict_file.hpp"

#include <fmt/format.h>

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
      fail("{}: train.init_from: tensor '{}' not found (looked for {}); {} needs it with shape {}", path, v.name,
           fmt::join(places, ", "), layer, shape_str(v.shape));
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

}  // namespace

void load_state_dict_file(const std::string& path, Model& model) {
  h5::Handle f = h5::open_read(path);
  load_store(f.get(), path, model.store(), "params", true, model);
  load_store(f.get(), path, model.buffers(), "buffers", false, model);
}

}  // namespace dpt
