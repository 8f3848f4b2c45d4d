#include "checkpoint/checkpoint_dir.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "checkpoint/checkpoint_file.hpp"
#include "core/error.hpp"
#include "tensor/shape.hpp"

namespace dpt {

namespace fs = std::filesystem;

std::string checkpoint_path(const std::string& dir, int64_t step) {
  return (fs::path(dir) / fmt::format("ckpt-{:010}.h5", step)).string();
}

std::vector<std::string> list_checkpoints(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("ckpt-", 0) == 0 && name.size() > 8 && name.substr(name.size() - 3) == ".h5")
      out.push_back(e.path().string());
  }
  std::sort(out.rbegin(), out.rend());  // zero-padded steps: lexical order is step order
  return out;
}

void prune_checkpoints(const std::string& dir, int keep) {
  const auto all = list_checkpoints(dir);
  for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < all.size(); ++i) fs::remove(all[i]);
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".tmp" && e.path().filename().string().rfind("ckpt-", 0) == 0) fs::remove(e.path());
}

void check_checkpoint(const std::string& path, const std::string& architecture) {
  const CheckpointMeta m = read_checkpoint_meta(path);
  if (m.architecture != architecture)
    fail("{}: written for another model:\n  checkpoint: {}\n  this run:   {}", path, m.architecture, architecture);
  verify_checkpoint_data(path);
}

std::string newest_valid_checkpoint(const std::string& dir, const std::string& architecture,
                                    const std::function<void(const std::string&)>& warn) {
  for (const auto& path : list_checkpoints(dir)) {
    try {
      check_checkpoint(path, architecture);
      return path;
    } catch (const Error& e) {
      warn(fmt::format("skipping checkpoint {}", e.what()));
    }
  }
  return "";
}

}  // namespace dpt
