#include "comm/fail_together.hpp"

#include <string>

#include "core/error.hpp"

namespace dpt {

void fail_together(const Comm& comm, const std::function<void()>& f, const char* what) {
  std::string message;
  try {
    f();
  } catch (const Error& e) {
    message = e.what();
  }
  double first = -(message.empty() ? comm.size() : comm.rank());  // max of -rank: the lowest failing rank
  comm.allreduce_max(&first, 1, what);
  const int root = static_cast<int>(-first);
  if (root >= comm.size()) return;
  comm.bcast(message, root, what);
  throw Error(message);
}

}  // namespace dpt
