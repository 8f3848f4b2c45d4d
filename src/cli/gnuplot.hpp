// Running gnuplot (Debian package gnuplot-nox) from C++: a private temporary directory for the
// script and data, and one gnuplot process whose output is kept for the error message.
#pragma once
#include <string>

namespace dpt::cli {

namespace gnuplot {
// A gnuplot single-quoted string: '' is the only escape; control characters become spaces.
std::string quoted(const std::string& s);
}  // namespace gnuplot

// $DPTRAIN_GNUPLOT when set, else the first `gnuplot` on PATH; throws with install advice.
std::string find_gnuplot();

// Runs `gnuplot SCRIPT` with its output in LOG; throws with the end of LOG when gnuplot fails or
// leaves `image` missing or empty.
void run_gnuplot(const std::string& gnuplot, const std::string& script, const std::string& log,
                 const std::string& image);

// A fresh directory under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace dpt::cli
