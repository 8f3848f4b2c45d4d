// The files of one data set: `data.file` may name one file, a glob pattern ("data/shard-*.h5") or
// a list of either. Patterns expand in byte order of the names (glob(3) in the C locale), so every
// rank and every run sees the same files in the same order; listed files keep the listed order.
#pragma once
#include <string>
#include <vector>

namespace dpt {

bool is_glob(const std::string& spec);  // holds *, ? or [
// Expands each entry; throws naming the pattern when a pattern matches nothing, and naming the
// file when one file appears twice (its samples would count twice). Plain paths are returned
// as given: their existence is checked when they are opened. An existing file whose name holds
// glob characters is taken literally.
std::vector<std::string> expand_files(const std::vector<std::string>& specs);

}  // namespace dpt
