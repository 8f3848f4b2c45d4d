#include "comm/link_probe.hpp"

#include <algorithm>

namespace dpt::perf {

namespace {
// Median seconds of `reps` all-reduces of n floats (after one untimed one), on this rank.
double median_allreduce(const Comm& comm, std::vector<float>& buf, int64_t n, int reps) {
  std::vector<double> t;
  comm.allreduce_sum(buf.data(), n, "link probe");
  for (int i = 0; i < reps; ++i) {
    comm.barrier("link probe");
    const double t0 = wall_time();
    comm.allreduce_sum(buf.data(), n, "link probe");
    t.push_back(wall_time() - t0);
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[static_cast<size_t>(reps / 2)];
}
}  // namespace

LinkFit probe_link(const Comm& comm, int64_t max_bytes, int reps) {
  std::vector<int64_t> floats = {1};
  for (int64_t b = 64 * 1024; b <= std::max<int64_t>(max_bytes, 64 * 1024); b *= 4) floats.push_back(b / 4);
  std::vector<float> buf(static_cast<size_t>(floats.back()), 0.0f);
  std::vector<double> med;
  for (int64_t n : floats) med.push_back(median_allreduce(comm, buf, n, reps));
  comm.allreduce_max(med.data(), static_cast<int64_t>(med.size()), "link probe");  // every rank: the same fit
  LinkFit f;
  f.A = med[0];
  double num = 0, den = 0;  // B = argmin sum (t - A - B n)^2 over the sizes past the first
  for (size_t i = 0; i < floats.size(); ++i) {
    const double bytes = 4.0 * static_cast<double>(floats[i]);
    f.points.push_back({bytes, med[i]});
    if (i > 0) num += (med[i] - f.A) * bytes, den += bytes * bytes;
  }
  f.B = den > 0 ? num / den : 0;
  return f;
}

}  // namespace dpt::perf
