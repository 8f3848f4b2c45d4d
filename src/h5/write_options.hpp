// How `dptrain prepare` writes its HDF5 datasets (no hdf5.h here: the CLI sets it).
#pragma once
#include <string>

namespace dpt {

// gzip: chunked, shuffle + gzip 4 (small files; the default). none: chunked, no filters: 2-4x
// larger, but reading needs no decompression (the choice for data sets trained in streaming
// mode, data.memory_budget, where every epoch reads the file again).
enum class Compression { gzip, none };

// Applies to every dataset this process writes from now on.
void set_write_compression(Compression c);
Compression write_compression();
// "gzip" | "none" -> Compression; throws naming `option` otherwise.
Compression parse_compression(const std::string& text, const std::string& option);

}  // namespace dpt
