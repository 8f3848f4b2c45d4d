// Collective checkpoints: all ranks write one HDF5 file together through parallel HDF5 (MPI-IO).
// Layout (independent of the rank count, so a run can resume on any number of ranks):
//   /params     float32 (n)  all parameters, flat, in the model's ParamStore order
//   /optimizer  float32 (m)  optimizer state, flat (e.g. SGD velocity; Adam m then v)
//   /buffers    float32 (k)  non-trained state (batchnorm running statistics)
//   /comm_state float32 (P x c) comm.compress: powersgd only: row r is rank r's compressor state
//               (its error feedback, whose rows add up over the ranks, then the factors, the same on
//               every rank); read back row by row on P ranks, else summed into rank 0 (see below)
//   each dataset: attribute crc32 (of its float32 bytes)
//   root attributes: format = "dptrain-checkpoint", format_version, step, architecture (text),
//   config (resolved YAML), trainer_state (JSON: epoch, position in the epoch, counters, ...),
//   param_index (JSON: name, offset, shape of every tensor in /params and /buffers), ranks.
// Rank r writes the contiguous slice block_range(n, r, P) of every dataset in one collective call
// (a sharded optimizer state: each rank its own ranges, and the checksum is combined from the
// ranks' parts, so the file is the same as unsharded and resumes on any rank count, sharded or not).
// The file is written under NAME.tmp, closed, fsync'd and renamed: NAME is complete or absent.
// A failed write (disk full, file-size limit, I/O error) throws on every rank the same one-line
// message naming the file and the OS error; the partial NAME.tmp is removed, earlier checkpoints
// are untouched. The HDF5 file is left open on that path: the error must end the job.
#pragma once
#include <cstdint>
#include <string>

#include "comm/comm.hpp"

namespace dpt {

struct CheckpointMeta {
  int64_t step = 0;
  std::string architecture;   // must match to resume (layers + input shape)
  std::string config_yaml;    // the resolved config of the run that wrote it
  std::string trainer_state;  // JSON owned by the trainer
  std::string param_index;    // JSON for people reading the file with h5py
  int64_t ranks = 0;          // rank count that wrote it (information only)
};

struct CheckpointArrays {  // views; sizes must match on write and read
  float* params = nullptr;
  int64_t n_params = 0;
  float* optimizer = nullptr;
  int64_t n_optimizer = 0;  // the whole /optimizer: slots x parameters
  float* buffers = nullptr;
  int64_t n_buffers = 0;
  // optimizer.shard: every rank holds only its range [begin, end) of the opt_slots slots of
  // n_optimizer / opt_slots parameters, slot after slot, in `optimizer`; it writes and reads just
  // that (true on every rank alike). Otherwise every rank holds the whole array.
  bool opt_sharded = false;
  int64_t opt_slots = 1, opt_begin = 0, opt_end = 0;
  // comm.compress: powersgd: this rank's compressor state, comm_row floats (the same count on every
  // rank), of which the first comm_additive add up over the ranks; comm_rank of comm_ranks. 0: none.
  float* comm_state = nullptr;
  int64_t comm_row = 0, comm_additive = 0;
  int comm_rank = 0, comm_ranks = 1;
  // Set by read_checkpoint_arrays: how comm_state was restored ("" when comm_row = 0).
  std::string comm_restored;
};

constexpr int64_t kCheckpointVersion = 1;

// Collective: every rank of `comm` calls it with (replicated) arrays; rank 0's meta is written (the
// strings may differ per rank, e.g. a clock in the trainer's state).
// Cost: the file's bytes through MPI-IO, four string bcasts, plus nine 1-double allreduces (every rank agrees after each
// step whether all succeeded; on failure one bcast of the message) and rank 0's fsyncs; a sharded optimizer state
// one more allreduce of 3 x slots x P int64 (its parts' checksums).
void write_checkpoint(const std::string& path, const CheckpointMeta& meta, const CheckpointArrays& a, const Comm& comm);
// Collective, before training: every rank creates, writes one byte to and removes a probe file
// (DIR/ckpt-probe-*.tmp) in the checkpoint directory `dir`; throws on every rank naming the directory
// and the OS error (read-only file system, permissions, disk full) when some rank cannot.
// Cost: one 1-double allreduce.
void check_checkpoint_dir_writable(const std::string& dir, const Comm& comm);

// The file's `format` attribute ("dptrain-checkpoint", "dptrain-model"), "" when it has none;
// throws when the file is missing or not HDF5.
std::string read_format(const std::string& path);
// Reads the attributes; throws naming the file when it is not a readable dptrain checkpoint.
CheckpointMeta read_checkpoint_meta(const std::string& path);
// Reads every array at its stored size and verifies its checksum: catches truncated or corrupt files.
void verify_checkpoint_data(const std::string& path);
// Reads the arrays into `a` (sizes checked against the file) and verifies the checksums. A sharded
// optimizer state is streamed through in chunks (its checksum is of the whole array) and only this
// rank's ranges are kept. Not collective: every rank reads the same bytes and fails alike.
// comm_state (a.comm_row > 0): written by as many ranks: this rank's row (bit-exact resume);
// by another rank count: rank 0 gets the rows' sum of the additive part, every rank row 0's rest,
// the other ranks zeros (the same sum: the next steps match up to rounding); absent (a run without
// powersgd): left as it is. a.comm_restored says which.
void read_checkpoint_arrays(const std::string& path, CheckpointArrays& a);

}  // namespace dpt
