// Errors: library code throws dpt::Error; only main() catches, logs "[rank r] error: ..." and aborts
// the whole MPI job, so one failing rank ends the job instead of leaving the others in a collective.
#pragma once
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace dpt {

// The MPI rank of this process (0 before MPI is initialised); recorded in every Error.
void set_process_rank(int rank);
int process_rank();

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  int rank() const { return rank_; }

 private:
  int rank_;
};

// fail("{}: dataset '{}' not found", file, path): throws dpt::Error with a formatted message.
// Messages name the file, the field and the offending value, in that order where they exist.
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace dpt
