// The checkpoints of a run: DIR/ckpt-<step>.h5, newest last; the last `keep` are kept.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace dpt {

std::string checkpoint_path(const std::string& dir, int64_t step);  // DIR/ckpt-0000001234.h5
// Complete checkpoints in `dir` (no *.tmp), newest first.
std::vector<std::string> list_checkpoints(const std::string& dir);
// Deletes all but the newest `keep` checkpoints and any leftover *.tmp of an interrupted write.
void prune_checkpoints(const std::string& dir, int keep);

// The newest checkpoint in `dir` that is complete, readable, of `architecture` and whose
// checksums verify; each one skipped is reported through `warn` with its reason. "" if none.
std::string newest_valid_checkpoint(const std::string& dir, const std::string& architecture,
                                    const std::function<void(const std::string&)>& warn);
// Throws naming the file and the reason unless `path` is a valid checkpoint of `architecture`.
void check_checkpoint(const std::string& path, const std::string& architecture);

}  // namespace dpt
