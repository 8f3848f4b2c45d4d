// Float32 arrays as HDF5 datasets (what checkpoints and model files hold): created, written whole
// from one process or by blocks from every rank of a file opened collectively through MPI-IO, and
// read back. Writers report failure with errno as the OS left it (0: none reported), not with an
// exception: a collective writer first makes every rank agree (checkpoint/checkpoint_file.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "h5/file.hpp"

namespace dpt::h5 {

// Collective over the MPI communicator *mpi_comm (Comm::native_handle()): creates or truncates
// `path` for parallel writing. Returns the file, negative when that failed (err: errno). A raw id,
// not a Handle: closing is collective and flushes again, so after a failed write the file stays
// open (the caller's error ends the job) and close_file closes it only on the way that succeeded.
hid_t create_collective(const std::string& path, const void* mpi_comm, int& err);
// Closes a file opened by create_collective (collective: flushes the metadata); false on failure.
bool close_file(hid_t file, int& err);
// Flushes every object of the file to disk; false on failure.
bool flush_file(hid_t file);

// A new contiguous float32 (little-endian IEEE) dataset `name` of shape `dims` under `loc`, not
// written yet; invalid when it cannot be created (err: errno).
Handle create_f32(hid_t loc, const std::string& name, const std::vector<int64_t>& dims, int& err);
// From one process: the whole dataset from `data` (native floats); false on failure.
bool write_f32(hid_t dset, const float* data);
// Collective over the file's communicator: this rank writes the element ranges [begin, end) of the
// 1-D dataset (in increasing order, not overlapping) from `data`, which holds their elements one
// range after the other (a rank without ranges takes part and writes nothing); false on failure
// (err: errno).
bool write_f32_ranges(hid_t dset, const float* data, const std::vector<std::pair<int64_t, int64_t>>& ranges, int& err);
// Where the dataset's data starts in the file, in bytes; -1 when it has no storage yet.
int64_t data_offset(hid_t dset);

// Elements of the dataset (the product of its dimensions).
int64_t element_count(hid_t dset);
// The dataset's dimensions ({} for a scalar).
std::vector<int64_t> dims(hid_t dset);
// The whole dataset as native floats into out (element_count values); false on failure.
bool read_f32(hid_t dset, float* out);
// Elements [lo, lo + n) of the 1-D dataset into out; false on failure.
bool read_f32_range(hid_t dset, int64_t lo, int64_t n, float* out);

}  // namespace dpt::h5
