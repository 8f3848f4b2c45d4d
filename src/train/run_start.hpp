// How a run starts in its directory: from the beginning, or from which checkpoint. Decided on every
// rank alike before anything in the directory is written, so a refused start changes nothing.
#pragma once
#include <string>
#include <vector>

#include "train/run_dir.hpp"

namespace dpt {

// The files that make `dir` hold a run worth keeping: checkpoints, model.h5, best_model.h5, a
// metrics.jsonl with epoch records. Empty for a new directory or one whose run died before its
// first epoch and checkpoint (nothing there to lose).
std::vector<std::string> run_work(const RunDir& dir);

// The checkpoint to continue from: "" = start from the beginning. `resume` is "" (a fresh run),
// "auto" (the newest valid checkpoint in DIR/checkpoints) or a path. --resume auto over a directory
// that holds a run none of whose checkpoints fits is refused, naming each checkpoint's reason.
std::string choose_checkpoint(const RunDir& dir, const std::string& resume, const std::string& architecture);

}  // namespace dpt
