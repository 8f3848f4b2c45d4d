#include "input/stream_data.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "comm/fail_together.hpp"
#include "core/error.hpp"
#include "core/partition.hpp"

namespace dpt {

StreamData::StreamData(const DataSettings& d, const RunShape& run, const SampleSource& src,
                       std::vector<int64_t> train_rows, const Comm& comm)
    : d_(d),
      run_(run),
      src_(src),
      comm_(comm),
      sizing_(size_stream(d.stream, packed_row_bytes(src), src.extents().front().chunk_rows, src.size(), comm.size(),
                          run.batch_size)),
      order_(src.extents(), std::move(train_rows), sizing_.block_rows, sizing_.window_blocks, run.batch_size, run.seed,
             d.shuffle),
      row_bytes_(sizing_.row_bytes),
      slots_(src.target_slots()) {
  carry_.resize(static_cast<size_t>(per_rank_batch(run.batch_size, comm.size()) * row_bytes_));
  reader_ = std::thread([this] { reader_main(); });
}

StreamData::~StreamData() {
  {
    std::lock_guard lk(m_);
    stop_ = true;
  }
  cv_.notify_all();
  reader_.join();
}

std::string StreamData::describe() const {
  return fmt::format(
      "streaming (data.memory_budget = {}): blocks of {} rows, shuffle window of {} blocks ({} rows), {} blocks "
      "in {} windows per epoch; sample buffers {} per rank; HDF5 reads on a reader thread",
      d_.stream.budget_text, sizing_.block_rows, sizing_.window_blocks, sizing_.block_rows * sizing_.window_blocks,
      order_.blocks(), order_.windows(), format_bytes(sizing_.bytes_per_rank(comm_.size(), run_.batch_size)));
}

EpochPlan StreamData::plan() const { return step_plan(order_.samples(), run_.batch_size, comm_.rank(), comm_.size()); }

void StreamData::reader_main() {
  // Below the training threads: reading ahead uses the time they leave (waits in collectives).
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  std::unique_ptr<SampleSource> src;  // opened on this thread: every HDF5 call of the reader happens here
  std::unique_lock lk(m_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || (!paused_ && !error_ && want_.epoch >= 0 && !(want_ == ready_)); });
    if (stop_) break;
    const Job job = want_;
    busy_ = true;
    lk.unlock();
    std::exception_ptr err;
    try {
      if (!src) src = std::make_unique<SampleSource>(d_.train, d_.scale);
      prepare(job, *src);
    } catch (...) {
      err = std::current_exception();
    }
    lk.lock();
    busy_ = false;
    if (err)
      error_ = err;
    else
      ready_ = job;
    cv_.notify_all();
  }
  lk.unlock();
  src.reset();  // closes its file on this thread
}

void StreamData::prepare(const Job& job, SampleSource& src) {
  if (job.epoch != reader_epoch_) {
    epoch_blocks_ = order_.block_order(job.epoch);
    epoch_starts_ = order_.window_starts(epoch_blocks_);
    reader_epoch_ = job.epoch;
  }
  WindowPlan p = order_.plan(job.epoch, epoch_blocks_, epoch_starts_, job.window, comm_.rank(), comm_.size());
  int64_t total = 0;
  for (int64_t c : p.send_counts) total += c;
  send_.resize(static_cast<size_t>(total * row_bytes_));
  const int64_t fb = src.row_bytes();
  int64_t row0 = 0;
  for (int64_t b : p.my_blocks) {
    const StreamBlock& blk = order_.block(b);
    const int64_t n = blk.end - blk.begin;
    block_x_.resize(static_cast<size_t>(n * fb));
    block_y_.resize(static_cast<size_t>(n * slots_));
    src.read_raw(blk.begin, blk.end, block_x_.data(), block_y_.data());
    for (int64_t i = 0; i < n; ++i) {
      const int64_t slot = p.send_slot[static_cast<size_t>(row0 + i)];
      if (slot < 0) continue;  // a validation row
      pack_row(src, block_x_.data() + i * fb, block_y_.data() + i * slots_, send_.data() + slot * row_bytes_);
    }
    row0 += n;
  }
  plan_ = std::move(p);
}

void StreamData::request(Job job) {
  {
    std::unique_lock lk(m_);
    if (want_ == job) return;
    cv_.wait(lk, [&] { return !busy_; });  // a job nobody wants any more finishes first
    want_ = job, ready_ = Job{};
  }
  cv_.notify_all();
}

StreamData::Job StreamData::next_job(const Job& j) const {
  if (j.window + 1 < order_.windows()) return {j.epoch, j.window + 1};
  if (j.epoch + 1 < run_.epochs) return {j.epoch + 1, 0};  // prefetch across the epoch boundary
  return {};
}

void StreamData::advance() {
  if (next_.epoch < 0) fail("internal: streaming data has no window after epoch {} window {}", cur_.epoch, cur_.window);
  std::exception_ptr error;
  {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return error_ || (ready_ == next_ && !busy_); });
    error = error_;
    if (!error) cur_ = std::move(plan_);
    want_ = ready_ = Job{};  // the reader stays idle until request(): send_ is ours meanwhile
  }
  // A data error in a block this rank read (NaN features, a failed read) ends every rank alike.
  fail_together(
      comm_,
      [&] {
        if (error) std::rethrow_exception(error);
      },
      "streaming data window");
  int64_t rows = 0;
  for (int64_t c : cur_.recv_counts) rows += c;
  recv_.resize(static_cast<size_t>(rows * row_bytes_));
  comm_.alltoallv_rows(send_.data(), cur_.send_counts, recv_.data(), cur_.recv_counts, row_bytes_,
                       "streaming data window");
  have_cur_ = true;
  next_ = next_job(next_);
  if (next_.epoch >= 0) request(next_);
}

void StreamData::begin_epoch(int64_t epoch, int64_t first_step) {
  epoch_ = epoch;
  starts_ = order_.window_starts(order_.block_order(epoch));
  epoch_local_ = order_.local_pos(order_.samples(), comm_.rank(), comm_.size());
  have_cur_ = false, carry_n_ = 0;
  const int64_t g0 = first_step * run_.batch_size;
  if (g0 >= order_.samples()) return;
  const int64_t w0 = std::upper_bound(starts_.begin(), starts_.end(), g0) - starts_.begin() - 1;
  next_ = {epoch, w0};
  request(next_);
}

void StreamData::begin_step(int64_t step) {
  const double t0 = wall_time();
  const int rank = comm_.rank(), P = comm_.size();
  const int64_t g_lo = step * run_.batch_size, g_hi = std::min(order_.samples(), g_lo + run_.batch_size);
  const int64_t lb = order_.local_pos(g_lo, rank, P), le = order_.local_pos(g_hi, rank, P);
  carry_begin_ = lb, carry_n_ = 0;
  while (!have_cur_ || cur_.pos_end <= g_lo) advance();  // (empty windows)
  while (g_hi > cur_.pos_end) {  // the step goes on in the next window: keep my rows of this one
    for (int64_t p = std::max(lb, cur_.local_begin); p < std::min(le, cur_.local_end); ++p, ++carry_n_)
      std::memcpy(carry_.data() + carry_n_ * row_bytes_, row_at(p), static_cast<size_t>(row_bytes_));
    advance();
  }
  wait_s_ += wall_time() - t0;
}

double StreamData::take_wait_seconds() { return std::exchange(wait_s_, 0.0); }

const unsigned char* StreamData::row_at(int64_t p) const {
  if (p >= carry_begin_ && p < carry_begin_ + carry_n_) return carry_.data() + (p - carry_begin_) * row_bytes_;
  if (!have_cur_ || p < cur_.local_begin || p >= cur_.local_end)
    fail("internal: streaming position {} is outside the current window [{}, {}) of epoch {}", p, cur_.local_begin,
         cur_.local_end, epoch_);
  return recv_.data() + cur_.recv_row[static_cast<size_t>(p - cur_.local_begin)] * row_bytes_;
}

void StreamData::batch(int64_t first, int64_t count, float* x, int32_t* y) const {
  const int64_t D = src_.sample_numel();
  for (int64_t i = 0; i < count; ++i) unpack_row(src_, row_at(first + i), x + i * D, y + i * slots_);
}

StreamData::ReadPause::ReadPause(StreamData* s) : s_(s) {
  if (!s_) return;
  std::unique_lock lk(s_->m_);
  s_->paused_ = true;
  s_->cv_.wait(lk, [&] { return !s_->busy_; });
}

StreamData::ReadPause::~ReadPause() {
  if (!s_) return;
  {
    std::lock_guard lk(s_->m_);
    s_->paused_ = false;
  }
  s_->cv_.notify_all();
}

}  // namespace dpt
