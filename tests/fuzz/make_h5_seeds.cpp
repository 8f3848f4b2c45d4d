// Writes the seed corpus of fuzz_h5_reader: small data files of every element type, shape and
// layout the reader supports (write_synth, as the unit tests use), plus stored normalization.
// Usage: make_h5_seeds DIR
#include <cstdio>
#include <string>

#include <hdf5.h>

#include "h5/feature_norm_io.hpp"
#include "support/synth_data.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_h5_seeds DIR\n");
    return 2;
  }
  using dpt::test::Elem;
  const std::string dir = argv[1];
  int k = 0;
  auto seed = [&](dpt::test::SynthSpec s) { dpt::test::write_synth(dir + "/seed" + std::to_string(k++) + ".h5", s); };
  for (Elem e : {Elem::U8, Elem::I16, Elem::I32, Elem::F32, Elem::F64})
    for (bool chunked : {false, true}) {
      dpt::test::SynthSpec s;
      s.n = 6, s.shape = {4}, s.elem = e, s.chunked = chunked, s.gzip = chunked && e == Elem::U8;
      seed(s);
    }
  for (std::vector<int64_t> shape : {std::vector<int64_t>{3, 3}, std::vector<int64_t>{2, 2, 2}}) {
    dpt::test::SynthSpec s;
    s.n = 5, s.shape = shape, s.gzip = false;
    seed(s);
  }
  {  // stored normalization (attributes normalize/offset/scale on the features)
    dpt::test::SynthSpec s;
    s.n = 4, s.shape = {3}, s.elem = Elem::U8, s.gzip = false;
    const std::string path = dir + "/seed" + std::to_string(k++) + ".h5";
    dpt::test::write_synth(path, s);
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, "/train/x", H5P_DEFAULT);
    dpt::write_feature_norm(d, {"standardize", {1.0, 2.0, 3.0}, {0.5, 0.25, 2.0}});
    H5Dclose(d), H5Fclose(f);
  }
  std::printf("%d seed files in %s\n", k, dir.c_str());
  return 0;
}
