#include "cli/gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.hpp"

extern char** environ;

namespace dpt::cli {

std::string gnuplot::quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, static_cast<unsigned char>(c) < 32 ? ' ' : c);
  return out + "'";
}

namespace fs = std::filesystem;

std::string find_gnuplot() {
  if (const char* v = std::getenv("DPTRAIN_GNUPLOT"); v && *v) {
    if (::access(v, X_OK) != 0) fail("DPTRAIN_GNUPLOT={}: not an executable file", v);
    return v;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string p = (dir.empty() ? std::string(".") : dir) + "/gnuplot";
    if (::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p)) return p;
  }
  fail(
      "gnuplot not found on PATH: install the Debian package gnuplot-nox (cluster/install-deps.sh does), "
      "or set DPTRAIN_GNUPLOT to its path");
}

namespace {
std::string tail_of(const std::string& file, size_t max_chars) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.size() > max_chars ? "..." + s.substr(s.size() - max_chars) : s;
}
}  // namespace

void run_gnuplot(const std::string& gnuplot, const std::string& script, const std::string& log,
                 const std::string& image) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> args{gnuplot, script};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, gnuplot.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) fail("{}: cannot start gnuplot: {}", gnuplot, std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail("{}: waiting for gnuplot failed: {}", gnuplot, std::strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    std::error_code ec;
    if (fs::exists(image) && fs::file_size(image, ec) > 0) return;
    fail("{} {} wrote no image: {}", gnuplot, script, tail_of(log, 600));
  }
  const std::string how =
      WIFEXITED(status) ? fmt::format("exit code {}", WEXITSTATUS(status)) : fmt::format("signal {}", WTERMSIG(status));
  fail("{} {} failed ({}): {}", gnuplot, script, how, tail_of(log, 600));
}

TempDir::TempDir(const std::string& tag) {
  std::string templ = (fs::temp_directory_path() / ("dptrain-" + tag + "-XXXXXX")).string();
  if (!::mkdtemp(templ.data())) fail("{}: cannot create a temporary directory: {}", templ, std::strerror(errno));
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace dpt::cli
