// dptrain's copy of the Horovod-style libtorch + MPI peer (../shared/bench/libtorch_mpi/peer.cpp, which
// has only mlp and cnn): libtorch (PyTorch's own C++ kernels, no Python) for forward/backward, the
// gradients of each step packed into one fusion buffer and summed with one MPI_Allreduce (no overlap
// with backward), then torch::optim::SGD. Additions over the shared peer: --model resnet (nets.hpp:
// launch/configs/fashion_resnet.yaml's network), the config's optimizer (--nesterov, --weight-decay),
// its augmentation (--crop-padding, --hflip: the algorithm of dptrain's src/input/augment.cpp, per
// sample on the float batch, inside the timed step), --scale, --warmup, threads = the cores this rank
// is bound to, the median step time, and evaluation in eval mode (batchnorm) in training runs only.
//   mpirun -np 2 --bind-to core peer --model mlp|cnn|resnet [--bench-steps 200 [--warmup 20] | --epochs N]
//          [--batch 64] [--data FILE] [--lr 0.05] [--momentum 0.9] [--nesterov 0|1] [--weight-decay 0]
//          [--crop-padding 0] [--hflip 0|1] [--scale 0.00392156862745098]
// Prints one JSON line on rank 0: samples_per_s (bench: timed steps / their wall time; train: median
// epoch), samples_per_s_median_step (global batch / rank 0's median step: dptrain bench's measure).
#include <hdf5.h>
#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "nets.hpp"

namespace {

std::vector<uint8_t> read_u8(hid_t f, const char* name, std::vector<hsize_t>& dims) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) { fprintf(stderr, "peer: no dataset %s\n", name); MPI_Abort(MPI_COMM_WORLD, 2); }
  hid_t s = H5Dget_space(d);
  dims.assign(H5Sget_simple_extent_ndims(s), 0);
  H5Sget_simple_extent_dims(s, dims.data(), nullptr);
  size_t n = 1;
  for (auto v : dims) n *= v;
  std::vector<uint8_t> out(n);
  H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
  H5Sclose(s); H5Dclose(d);
  return out;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int bound_cores() {
  cpu_set_t set;
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? std::max(1, CPU_COUNT(&set)) : 1;
}

// x: (n, C, H, W) float, contiguous, in place. dptrain's Augmenter::one per sample: a shift by
// (dy, dx) uniform in [-p, p] filling with 0 (= pad p, random crop), mirrored with probability 1/2.
void augment(torch::Tensor& x, int64_t p, bool hflip, std::mt19937_64& rng, std::vector<float>& tmp) {
  if (p == 0 && !hflip) return;
  const int64_t n = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  tmp.resize(static_cast<size_t>(C * H * W));
  float* base = x.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t dy = p > 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * p + 1)) - p : 0;
    const int64_t dx = p > 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * p + 1)) - p : 0;
    const bool flip = hflip && (rng() >> 63) != 0;
    if (dy == 0 && dx == 0 && !flip) continue;
    float* img = base + i * C * H * W;
    std::copy(img, img + C * H * W, tmp.begin());
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h) {
        float* row = img + (c * H + h) * W;
        const int64_t sh = h + dy;
        if (sh < 0 || sh >= H) { std::fill(row, row + W, 0.0f); continue; }
        const float* src = tmp.data() + (c * H + sh) * W;
        for (int64_t w = 0; w < W; ++w) {
          const int64_t sw = (flip ? W - 1 - w : w) + dx;
          row[w] = sw >= 0 && sw < W ? src[sw] : 0.0f;
        }
      }
  }
}

struct Args {
  std::string model = "mlp", data = "data/fashion_mnist.h5";
  int batch = 64, bench_steps = 0, warmup = 20, epochs = 0;
  double lr = 0.05, momentum = 0.9, weight_decay = 0, scale = 1.0 / 255;
  bool nesterov = false, hflip = false;
  int64_t crop_padding = 0;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    if (i + 1 >= argc) { fprintf(stderr, "peer: %s needs a value\n", k.c_str()); MPI_Abort(MPI_COMM_WORLD, 2); }
    const char* v = argv[i + 1];
    if (k == "--model") a.model = v;
    else if (k == "--data") a.data = v;
    else if (k == "--batch") a.batch = std::stoi(v);
    else if (k == "--bench-steps") a.bench_steps = std::stoi(v);
    else if (k == "--warmup") a.warmup = std::stoi(v);
    else if (k == "--epochs") a.epochs = std::stoi(v);
    else if (k == "--lr") a.lr = std::stod(v);
    else if (k == "--momentum") a.momentum = std::stod(v);
    else if (k == "--nesterov") a.nesterov = std::stoi(v) != 0;
    else if (k == "--weight-decay") a.weight_decay = std::stod(v);
    else if (k == "--crop-padding") a.crop_padding = std::stoi(v);
    else if (k == "--hflip") a.hflip = std::stoi(v) != 0;
    else if (k == "--scale") a.scale = std::stod(v);
    else { fprintf(stderr, "peer: unknown option %s\n", k.c_str()); MPI_Abort(MPI_COMM_WORLD, 2); }
  }
  if (a.model != "mlp" && a.model != "cnn" && a.model != "resnet") {
    fprintf(stderr, "peer: --model must be mlp, cnn or resnet\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  if (!a.bench_steps && !a.epochs) a.bench_steps = 200;
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's OpenBLAS 0.3.21 falls back to Prescott kernels on recent Xeons (5x slower); like the
  // other peers, pick the AVX-512 (or AVX2) kernels before the library loads, by re-executing once.
  if (!getenv("OPENBLAS_CORETYPE")) {
    std::ifstream cpu("/proc/cpuinfo");
    std::string all((std::istreambuf_iterator<char>(cpu)), std::istreambuf_iterator<char>());
    const char* core = all.find("avx512f") != std::string::npos ? "SkylakeX" : all.find("avx2") != std::string::npos ? "Haswell" : nullptr;
    if (core) {
      const std::string t = std::to_string(bound_cores());  // one BLAS/OpenMP pool of the bound cores
      setenv("OPENBLAS_CORETYPE", core, 1), setenv("OPENBLAS_NUM_THREADS", t.c_str(), 0), setenv("OMP_NUM_THREADS", t.c_str(), 0);
      execv("/proc/self/exe", argv);
    }
  }
  MPI_Init(&argc, &argv);
  int rank, world;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  const Args a = parse(argc, argv);
  const int threads = bound_cores();
  torch::set_num_threads(threads);
  torch::manual_seed(1234);  // same initial weights on every rank (as DDP's broadcast)

  hid_t f = H5Fopen(a.data.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) { fprintf(stderr, "peer: cannot open %s\n", a.data.c_str()); MPI_Abort(MPI_COMM_WORLD, 2); }
  std::vector<hsize_t> dx, dy, tdx, tdy;
  auto xtr = read_u8(f, "/train/images", dx), ytr = read_u8(f, "/train/labels", dy);
  auto xte = read_u8(f, "/test/images", tdx), yte = read_u8(f, "/test/labels", tdy);
  H5Fclose(f);
  const int64_t N = dx[0], NT = tdx[0];
  auto to_x = [&](std::vector<uint8_t>& v, int64_t n) {
    return torch::from_blob(v.data(), {n, 1, 28, 28}, torch::kUInt8).to(torch::kFloat32).mul_(a.scale);
  };
  auto to_y = [](std::vector<uint8_t>& v, int64_t n) { return torch::from_blob(v.data(), {n}, torch::kUInt8).to(torch::kLong); };
  torch::Tensor Xtr = to_x(xtr, N), Ytr = to_y(ytr, N), Xte = to_x(xte, NT), Yte = to_y(yte, NT);

  std::shared_ptr<torch::nn::Module> net;
  std::function<torch::Tensor(torch::Tensor)> fwd;
  if (a.model == "mlp") { peer::MLP m; net = m.ptr(); fwd = [m](torch::Tensor x) mutable { return m->forward(x); }; }
  else if (a.model == "cnn") { peer::CNN m; net = m.ptr(); fwd = [m](torch::Tensor x) mutable { return m->forward(x); }; }
  else { peer::ResNet m; net = m.ptr(); fwd = [m](torch::Tensor x) mutable { return m->forward(x); }; }
  auto params = net->parameters();
  int64_t n_params = 0;
  for (auto& p : params) n_params += p.numel();
  torch::optim::SGD opt(params, torch::optim::SGDOptions(a.lr).momentum(a.momentum).nesterov(a.nesterov).weight_decay(a.weight_decay));
  std::vector<float> fusion(n_params);
  std::mt19937_64 aug_rng(1234 + rank);
  std::vector<float> aug_tmp;

  auto step = [&](torch::Tensor x, const torch::Tensor& y) {
    augment(x, a.crop_padding, a.hflip, aug_rng, aug_tmp);  // x is this step's own copy (index_select)
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(fwd(x), y);
    loss.backward();
    int64_t off = 0;  // pack into the fusion buffer, sum, unpack as the mean over ranks
    for (auto& p : params) { std::memcpy(fusion.data() + off, p.grad().data_ptr<float>(), p.numel() * 4); off += p.numel(); }
    MPI_Allreduce(MPI_IN_PLACE, fusion.data(), (int)n_params, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    off = 0;
    for (auto& p : params) {
      auto g = p.grad();
      std::memcpy(g.data_ptr<float>(), fusion.data() + off, p.numel() * 4);
      g.div_(world);
      off += p.numel();
    }
    opt.step();
    return loss.item<float>();
  };

  std::mt19937_64 rng(42);
  std::vector<int64_t> perm(N);
  std::iota(perm.begin(), perm.end(), 0);
  const int64_t gb = (int64_t)a.batch * world;
  auto batch_at = [&](int64_t s) {  // rank's slice of global batch s of the permutation
    int64_t lo = s * gb + (int64_t)rank * a.batch, hi = std::min(lo + a.batch, N);
    auto idx = torch::from_blob(perm.data() + lo, {hi - lo}, torch::kLong);
    return std::make_pair(Xtr.index_select(0, idx), Ytr.index_select(0, idx));
  };
  const int64_t steps_per_epoch = N / gb;
  double sps = 0;
  std::vector<double> rates, step_s;
  auto timed_step = [&](int64_t s) {
    const double t = now();
    auto [x, y] = batch_at(s);
    step(x, y);
    step_s.push_back(now() - t);
  };
  if (a.bench_steps) {
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int s = 0; s < a.warmup; ++s) { auto [x, y] = batch_at(s % steps_per_epoch); step(x, y); }
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now();
    for (int s = 0; s < a.bench_steps; ++s) timed_step(s % steps_per_epoch);
    MPI_Barrier(MPI_COMM_WORLD);
    sps = (double)a.bench_steps * gb / (now() - t0);
  } else {
    for (int e = 0; e < a.epochs; ++e) {
      std::shuffle(perm.begin(), perm.end(), rng);
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = now();
      for (int64_t s = 0; s < steps_per_epoch; ++s) timed_step(s);
      MPI_Barrier(MPI_COMM_WORLD);
      rates.push_back((double)steps_per_epoch * gb / (now() - t0));
    }
    std::sort(rates.begin(), rates.end());
    sps = rates[rates.size() / 2];
  }
  std::sort(step_s.begin(), step_s.end());
  const double med = step_s[step_s.size() / 2], p90 = step_s[step_s.size() * 9 / 10];
  std::string acc = "null";  // test accuracy of a training run (every rank its slice, counts summed)
  if (!a.bench_steps) {
    torch::NoGradGuard ng;
    net->eval();
    long long correct = 0;
    for (int64_t lo = NT * rank / world, hi = NT * (rank + 1) / world; lo < hi; lo += 1000) {
      auto pred = fwd(Xte.slice(0, lo, std::min(lo + 1000, hi))).argmax(1);
      correct += pred.eq(Yte.slice(0, lo, std::min(lo + 1000, hi))).sum().item<int64_t>();
    }
    MPI_Allreduce(MPI_IN_PLACE, &correct, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    acc = std::to_string((double)correct / NT);
  }
  if (rank == 0)
    printf("{\"peer\": \"libtorch %s + MPI_Allreduce\", \"model\": \"%s\", \"parameters\": %lld, \"ranks\": %d, "
           "\"threads_per_rank\": %d, \"per_rank_batch\": %d, \"mode\": \"%s\", \"steps\": %zu, "
           "\"sgd\": {\"lr\": %g, \"momentum\": %g, \"nesterov\": %s, \"weight_decay\": %g}, "
           "\"augment\": {\"crop_padding\": %lld, \"hflip\": %s}, \"samples_per_s\": %.1f, "
           "\"samples_per_s_median_step\": %.1f, \"step_ms\": {\"median\": %.3f, \"p90\": %.3f}, \"test_accuracy\": %s}\n",
           TORCH_VERSION, a.model.c_str(), (long long)n_params, world, threads, a.batch, a.bench_steps ? "bench" : "train",
           step_s.size(), a.lr, a.momentum, a.nesterov ? "true" : "false", a.weight_decay, (long long)a.crop_padding,
           a.hflip ? "true" : "false", sps, gb / med, med * 1e3, p90 * 1e3, acc.c_str());
  MPI_Finalize();
  return 0;
}
