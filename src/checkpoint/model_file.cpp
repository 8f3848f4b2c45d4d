#include "checkpoint/model_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "checkpoint/model_graph.hpp"
#include "core/error.hpp"
#include "h5/arrays.hpp"
#include "h5/file.hpp"
#include "h5/write.hpp"

namespace dpt {

namespace {
constexpr int64_t kFormatVersion = 1;

// One float32 dataset per tensor of `store` under /<group>/<name>.
void write_store(hid_t file, const char* group, const ParamStore& store, const std::string& path) {
  const h5::Handle g = h5::create_group(file, group, path);
  for (const auto& v : store.views()) {
    int err = 0;
    const h5::Handle d = h5::create_f32(g.get(), v.name, v.shape, err);
    if (!d.valid() || !h5::write_f32(d.get(), store.params() + v.offset))
      fail("{}: writing '{}/{}' failed (disk full?)", path, group, v.name);
  }
}

void read_store(hid_t file, const char* group, ParamStore& store, const std::string& path) {
  for (const auto& v : store.views()) {
    const std::string name = std::string("/") + group + "/" + v.name;
    h5::Handle d = h5::open_dataset(file, path, name, "model file");
    const int64_t n = h5::element_count(d.get());
    if (n != v.count)
      fail("{}: '{}' has {} values but the model needs {} {}", path, name, n, v.count, shape_str(v.shape));
    if (!h5::read_f32(d.get(), store.params() + v.offset)) fail("{}: reading '{}' failed (corrupt file?)", path, name);
  }
}

}  // namespace

void save_model(const std::string& path, const Model& model, const ModelFileInfo& info) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  try {
    h5::Handle f = h5::create(tmp);
    write_store(f.get(), "params", model.store(), tmp);
    write_store(f.get(), "buffers", model.buffers(), tmp);
    h5::write_attr(f.get(), "format", "dptrain-model");
    h5::write_attr(f.get(), "format_version", std::vector<int64_t>{kFormatVersion});
    h5::write_attr(f.get(), "config", info.config_yaml);
    h5::write_attr(f.get(), "input_shape", info.input_shape);
    h5::write_attr(f.get(), "graph", graph_json(model));
    h5::write_attr(f.get(), "epoch", std::vector<int64_t>{info.epoch});
    h5::write_attr(f.get(), "step", std::vector<int64_t>{info.step});
    if (!h5::flush_file(f.get())) fail("{}: flush failed (disk full?)", tmp);
  } catch (...) {
    std::filesystem::remove(tmp);
    throw;
  }
  h5::fsync_path(tmp, false);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    fail("{}: cannot move the finished model file into place: {}", path, ec.message());
  }
  const auto parent = std::filesystem::path(path).parent_path();
  h5::fsync_path(parent.empty() ? "." : parent.string(), true);
}

ModelFileInfo read_model_info(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  if (!h5::has_attr(f.get(), "format") || h5::read_string_attr(f.get(), "format", path) != "dptrain-model")
    fail(
        "{}: not a dptrain model file (no format = 'dptrain-model' attribute): --model takes the model.h5 that "
        "dptrain train writes into its run directory",
        path);
  const auto version = h5::read_i64_attr(f.get(), "format_version", path);
  if (version.empty() || version[0] != kFormatVersion)
    fail("{}: model format version {} is not supported (this dptrain reads version {})", path,
         version.empty() ? -1 : version[0], kFormatVersion);
  ModelFileInfo info;
  info.config_yaml = h5::read_string_attr(f.get(), "config", path);
  info.input_shape = h5::read_i64_attr(f.get(), "input_shape", path);
  info.epoch = h5::read_i64_attr(f.get(), "epoch", path).at(0);
  info.step = h5::read_i64_attr(f.get(), "step", path).at(0);
  return info;
}

void load_model_params(const std::string& path, Model& model) {
  h5::Handle f = h5::open_read(path);
  read_store(f.get(), "params", model.store(), path);
  read_store(f.get(), "buffers", model.buffers(), path);
}

}  // namespace dpt
