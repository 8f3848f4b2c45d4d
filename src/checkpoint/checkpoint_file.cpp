#include "checkpoint/checkpoint_file.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "checkpoint/array_io.hpp"
#include "core/error.hpp"
#include "h5/arrays.hpp"
#include "h5/file.hpp"

namespace dpt {

namespace {
using ckpt::ArrayPart;

// comm_state: row comm_rank of (comm_ranks, comm_row).
ArrayPart comm_part(const CheckpointArrays& a) {
  const int64_t r = a.comm_rank;
  return {"comm_state", a.comm_state, a.comm_ranks * a.comm_row, {{r * a.comm_row, (r + 1) * a.comm_row}}, true};
}

std::vector<ArrayPart> arrays_of(const CheckpointArrays& a) {
  ArrayPart opt{"optimizer", a.optimizer, a.n_optimizer, {{0, a.n_optimizer}}, a.opt_sharded};
  if (a.opt_sharded) {  // slot k of parameter i is element k * n + i
    opt.ranges.clear();
    const int64_t n = a.opt_slots > 0 ? a.n_optimizer / a.opt_slots : 0;
    for (int64_t k = 0; k < a.opt_slots; ++k) opt.ranges.emplace_back(k * n + a.opt_begin, k * n + a.opt_end);
  }
  return {{"params", a.params, a.n_params, {{0, a.n_params}}, false},
          std::move(opt),
          {"buffers", a.buffers, a.n_buffers, {{0, a.n_buffers}}, false}};
}

// A rank's failure: its one-line message (naming the file and the OS error) and errno (0: unknown).
struct Failure {
  std::string msg;  // "" = no failure
  int err = 0;
};
// `what` failed with errno `err` (cleared before the call, so 0 means no OS error was reported).
Failure failure(const std::string& what, int err) {
  return {fmt::format("{}: {}", what, err ? std::strerror(err) : "no OS error reported (disk full or quota?)"), err};
}

// A write into `path` up to byte `end` failed. MPI-IO does not always leave errno set (a write that
// crosses the limit comes back short, without an error), so when it is 0 the two usual causes are
// checked: this process's file-size limit (ulimit -f) and the free space of the file system.
Failure write_failure(const std::string& what, int err, const std::string& path, int64_t end) {
  if (err) return failure(what, err);
  rlimit lim{};
  std::error_code ec;
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      std::max(end, ec ? 0 : size) >= static_cast<int64_t>(lim.rlim_cur))
    return {fmt::format("{}: {} (the file-size limit of this process, ulimit -f, is {} bytes)", what,
                        std::strerror(EFBIG), lim.rlim_cur),
            EFBIG};
  struct statvfs fs {};
  const auto dir = std::filesystem::path(path).parent_path();
  if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0 && fs.f_bavail * fs.f_frsize < (1u << 20))
    return {fmt::format("{}: {} ({} bytes free)", what, std::strerror(ENOSPC), fs.f_bavail * fs.f_frsize), ENOSPC};
  return failure(what, 0);
}

void agree(const Failure& mine, const std::string& tmp, const Comm& comm,
           const char* outcome = "; the checkpoint was not written, earlier checkpoints are kept");

// Collective write of one flat dataset: rank r writes its block of rows (or its ranges of a sharded
// array). The checksum comes first (combining a sharded one is collective), and every rank agrees
// that the dataset exists before the attribute and the data (both collective) are written, so a
// rank whose create failed never leaves the others waiting in HDF5. Returns this rank's failure
// of the data write, if any (the caller makes every rank agree before anything else collective).
Failure write_array(hid_t file, const ArrayPart& a, const Comm& comm, const std::string& tmp) {
  const int64_t crc = ckpt::whole_crc(a, comm);
  int err = 0;
  h5::Handle d = h5::create_f32(file, a.name, {a.size}, err);
  agree(d.valid() ? Failure{} : failure(fmt::format("{}: cannot create dataset '{}'", tmp, a.name), err), tmp, comm);
  h5::write_attr(d.get(), "crc32", std::vector<int64_t>{crc});
  if (a.size == 0) return {};  // every rank skips alike
  const float* from = nullptr;
  const ckpt::Ranges ranges = ckpt::written_ranges(a, comm, from);
  if (!h5::write_f32_ranges(d.get(), from, ranges, err)) {
    const int64_t at = h5::data_offset(d.get());
    const int64_t end = at < 0 ? 0 : at + (ranges.empty() ? 0 : ranges.back().second) * 4;
    return write_failure(fmt::format("{}: writing '{}' failed", tmp, a.name), err, tmp, end);
  }
  return {};
}

// Collective: every rank learns whether some rank failed; then all throw one failing rank's message
// (naming that rank: the lowest one that saw an OS error, else the lowest one; in collective MPI-IO
// only the ranks that did the failing write know errno) after rank 0 removed the partial `tmp`.
// A rank that failed alone must not go on to the next HDF5 collective (the others would wait in a
// different one: a hang, seen with ulimit -f before this check existed), and the file is not closed
// on this path (closing is collective and flushes again): the caller's error ends the job.
// Cost: one 1-double allreduce; on failure one bcast of the message.
void agree(const Failure& mine, const std::string& tmp, const Comm& comm, const char* outcome) {
  const int P = comm.size();
  double v = mine.msg.empty() ? 0 : (mine.err ? 2 * P : P) - comm.rank();
  comm.allreduce_max(&v, 1, "checkpoint status");
  if (v == 0) return;
  const int root = (v > P ? 2 * P : P) - static_cast<int>(v);
  std::string msg = mine.msg;
  comm.bcast(msg, root, "checkpoint error");
  if (comm.rank() == 0) ::unlink(tmp.c_str());  // frees the space; a *.tmp is never taken for a checkpoint
  if (comm.size() > 1) msg += fmt::format(" (on rank {})", root);
  fail("{}{}", msg, outcome);
}

// Rank 0: fsync the finished temporary file and rename it into place.
Failure publish(const std::string& tmp, const std::string& path) {
  errno = 0;
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return failure(fmt::format("{}: fsync failed", tmp), err);
  }
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return {fmt::format("{}: cannot rename the finished checkpoint into place: {}", path, ec.message()), ec.value()};
  const auto parent = std::filesystem::path(path).parent_path();
  h5::fsync_path(parent.empty() ? "." : parent.string(), true);
  return {};
}

void write_attrs(hid_t f, const CheckpointMeta& meta, const Comm& comm) {
  h5::write_attr(f, "format", std::string("dptrain-checkpoint"));
  h5::write_attr(f, "format_version", std::vector<int64_t>{kCheckpointVersion});
  h5::write_attr(f, "step", std::vector<int64_t>{meta.step});
  h5::write_attr(f, "ranks", std::vector<int64_t>{comm.size()});
  h5::write_attr(f, "architecture", meta.architecture);
  h5::write_attr(f, "config", meta.config_yaml);
  h5::write_attr(f, "trainer_state", meta.trainer_state);
  h5::write_attr(f, "param_index", meta.param_index);
}

}  // namespace

void write_checkpoint(const std::string& path, const CheckpointMeta& mine, const CheckpointArrays& a,
                      const Comm& comm) {
  // HDF5 needs the same metadata calls on every rank, and the caller's strings may differ per rank
  // (the trainer's state holds each rank's clock): with other attribute sizes the ranks' metadata
  // caches diverge and the ranks hang in different collectives of H5Fclose. Rank 0's are written.
  // Cost: four string bcasts (the config and state: a few KB).
  CheckpointMeta meta = mine;
  for (std::string* s : {&meta.architecture, &meta.config_yaml, &meta.trainer_state, &meta.param_index})
    comm.bcast(*s, 0, "checkpoint metadata");
  h5::silence_errors();
  const std::string tmp = path + ".tmp";
  int err = 0;
  const hid_t f = h5::create_collective(tmp, comm.native_handle(), err);
  agree(f < 0 ? failure(fmt::format("{}: cannot create checkpoint", tmp), err) : Failure{}, tmp, comm);
  for (const ArrayPart& arr : arrays_of(a)) agree(write_array(f, arr, comm, tmp), tmp, comm);
  if (a.comm_row > 0) agree(write_array(f, comm_part(a), comm, tmp), tmp, comm);
  write_attrs(f, meta, comm);
  const bool closed = h5::close_file(f, err);  // collective: flushes the metadata
  agree(closed ? Failure{} : write_failure(fmt::format("{}: writing the file failed", tmp), err, tmp, 0), tmp, comm);
  agree(comm.rank() == 0 ? publish(tmp, path) : Failure{}, tmp, comm);
}

void check_checkpoint_dir_writable(const std::string& dir, const Comm& comm) {
  const std::string probe =
      (std::filesystem::path(dir) / fmt::format("ckpt-probe-{}-{}.tmp", comm.rank(), ::getpid())).string();
  errno = 0;
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  bool ok = fd >= 0 && ::write(fd, "x", 1) == 1;
  int err = errno;
  if (fd >= 0) {
    if (::close(fd) != 0 && ok) ok = false, err = errno;
    ::unlink(probe.c_str());
  }
  agree(ok ? Failure{} : failure(fmt::format("{}: the checkpoint directory is not writable", dir), err), probe, comm,
        "; checked before training");
}

std::string read_format(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  return h5::has_attr(f.get(), "format") ? h5::read_string_attr(f.get(), "format", path) : "";
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  if (!h5::has_attr(f.get(), "format") || h5::read_string_attr(f.get(), "format", path) != "dptrain-checkpoint")
    fail("{}: not a dptrain checkpoint", path);
  const int64_t version = h5::read_i64_attr(f.get(), "format_version", path).at(0);
  if (version != kCheckpointVersion)
    fail("{}: checkpoint format version {} is not supported (this dptrain reads version {})", path, version,
         kCheckpointVersion);
  CheckpointMeta m;
  m.step = h5::read_i64_attr(f.get(), "step", path).at(0);
  m.ranks = h5::read_i64_attr(f.get(), "ranks", path).at(0);
  m.architecture = h5::read_string_attr(f.get(), "architecture", path);
  m.config_yaml = h5::read_string_attr(f.get(), "config", path);
  m.trainer_state = h5::read_string_attr(f.get(), "trainer_state", path);
  m.param_index = h5::read_string_attr(f.get(), "param_index", path);
  return m;
}

void verify_checkpoint_data(const std::string& path) {
  h5::Handle f = h5::open_read(path);
  for (const char* name : {"params", "optimizer", "buffers", "comm_state"}) {
    if (std::string(name) == "comm_state" && !h5::exists(f.get(), name)) continue;  // optional
    h5::Handle d = h5::open_dataset(f.get(), path, std::string("/") + name, "checkpoint");
    const int64_t n = h5::element_count(d.get());
    bool ok = true;
    const int64_t crc = ckpt::read_streamed(d.get(), {name, nullptr, n, {}, false}, ok);  // checksum only
    if (!ok) fail("{}: reading '{}' failed (truncated or corrupt file)", path, name);
    if (crc != h5::read_i64_attr(d.get(), "crc32", path).at(0))
      fail("{}: checksum mismatch in '{}' (corrupt file)", path, name);
  }
}

namespace {
// See read_checkpoint_arrays.
void read_comm_state(hid_t f, const std::string& path, CheckpointArrays& a) {
  if (!h5::exists(f, "comm_state")) {
    a.comm_restored = "none in the checkpoint: the compressor starts afresh";
    return;
  }
  h5::Handle d = h5::open_dataset(f, path, "/comm_state", "checkpoint");
  const int64_t n = h5::element_count(d.get()), row = a.comm_row;
  if (n % row != 0)
    fail("{}: 'comm_state' holds {} values, not whole rows of the {} this run's compressor keeps (another model or "
         "comm.powersgd_rank?)",
         path, n, row);
  bool ok = true;
  int64_t crc = 0;
  if (n == a.comm_ranks * row) {
    crc = ckpt::read_streamed(d.get(), comm_part(a), ok);  // this rank's row
    a.comm_restored = "each rank its own row (bit-exact)";
  } else {  // row by row (memory: one row), every row checksummed
    std::vector<float> one(static_cast<size_t>(row));
    std::fill(a.comm_state, a.comm_state + row, 0.0f);
    for (int64_t r = 0; r < n / row && ok; ++r) {
      ok = h5::read_f32_range(d.get(), r * row, row, one.data());
      if (!ok) break;
      crc = ckpt::crc32_of(one.data(), row, crc);
      for (int64_t i = 0; i < a.comm_additive && a.comm_rank == 0; ++i) a.comm_state[i] += one[static_cast<size_t>(i)];
      if (r == 0) std::copy(one.begin() + a.comm_additive, one.end(), a.comm_state + a.comm_additive);
    }
    a.comm_restored = fmt::format("written by {} ranks: their error feedback summed into rank 0", n / row);
  }
  if (!ok) fail("{}: reading 'comm_state' failed (truncated or corrupt file)", path);
  if (crc != h5::read_i64_attr(d.get(), "crc32", path).at(0))
    fail("{}: checksum mismatch in 'comm_state' (corrupt file)", path);
}
}  // namespace

void read_checkpoint_arrays(const std::string& path, CheckpointArrays& a) {
  h5::Handle f = h5::open_read(path);
  for (const ArrayPart& arr : arrays_of(a)) {
    h5::Handle d = h5::open_dataset(f.get(), path, std::string("/") + arr.name, "checkpoint");
    const int64_t n = h5::element_count(d.get());
    if (n != arr.size)
      fail("{}: '{}' holds {} values but this model needs {} (different architecture or optimizer?)", path, arr.name, n,
           arr.size);
    bool ok = true;
    int64_t crc = 0;
    if (arr.sharded) {
      crc = ckpt::read_streamed(d.get(), arr, ok);
    } else {
      ok = n == 0 || h5::read_f32(d.get(), arr.data);
      if (ok) crc = ckpt::crc32_of(arr.data, n);
    }
    if (!ok) fail("{}: reading '{}' failed (truncated or corrupt file)", path, arr.name);
    const int64_t want = h5::read_i64_attr(d.get(), "crc32", path).at(0);
    if (crc != want) fail("{}: checksum mismatch in '{}' (corrupt file)", path, arr.name);
  }
  if (a.comm_row > 0) read_comm_state(f.get(), path, a);
}

}  // namespace dpt
