#include "core/error.hpp"

namespace dpt {
namespace {
int g_rank = 0;
}

void set_process_rank(int rank) { g_rank = rank; }
int process_rank() { return g_rank; }

Error::Error(const std::string& message) : std::runtime_error(message), rank_(g_rank) {}

}  // namespace dpt
