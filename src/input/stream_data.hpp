// Streaming training data (data.memory_budget > 0): the order of input/stream_order.hpp, read one
// shuffle window at a time. A reader thread owns its own SampleSource and makes EVERY HDF5 call
// of the training data (Debian's parallel HDF5 is not thread-safe): for the next window it reads
// this rank's blocks (one block buffer) and packs their rows by destination rank. The main thread
// only exchanges a prepared window (one Alltoallv, in begin_step at the step that enters it) and
// converts rows per batch. While the main thread itself calls HDF5 (checkpoints, model files) it
// holds a ReadPause, which waits for the reader's current window and starts no new one.
#pragma once
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "comm/comm.hpp"
#include "input/data_settings.hpp"
#include "input/sample_rows.hpp"
#include "input/sampler.hpp"
#include "input/stream_order.hpp"
#include "input/stream_sizing.hpp"

namespace dpt {

class StreamData final : public SampleRows {
 public:
  // src: the training source (used for conversion only; its HDF5 handles are not touched here).
  StreamData(const DataSettings& d, const RunShape& run, const SampleSource& src, std::vector<int64_t> train_rows,
             const Comm& comm);
  ~StreamData() override;
  StreamData(const StreamData&) = delete;
  StreamData& operator=(const StreamData&) = delete;

  const StreamOrder& order() const { return order_; }
  const StreamSizing& sizing() const { return sizing_; }
  EpochPlan plan() const;  // step offsets of this rank (no indices: the order is window by window)
  // Every rank calls these alike: begin_epoch before the epoch's first step (first_step > 0 when
  // resuming inside it), begin_step before every step (collective at window boundaries).
  void begin_epoch(int64_t epoch, int64_t first_step);
  void begin_step(int64_t step);
  // Seconds the main thread waited for data (reader + exchange) since the last call.
  double take_wait_seconds();
  std::string describe() const;

  int64_t size() const override { return epoch_local_; }
  // Positions of the current step only (EpochPlan offsets).
  void batch(int64_t first, int64_t count, float* x, int32_t* y) const override;

  class ReadPause {  // no HDF5 call of the reader while one exists (null: nothing to pause)
   public:
    explicit ReadPause(StreamData* s);
    ~ReadPause();
    ReadPause(const ReadPause&) = delete;
    ReadPause& operator=(const ReadPause&) = delete;

   private:
    StreamData* s_;
  };

 private:
  struct Job {
    int64_t epoch = -1, window = -1;
    bool operator==(const Job&) const = default;
  };
  void reader_main();
  void prepare(const Job& job, SampleSource& src);  // reader thread: plan_, send_
  void request(Job job);
  void advance();  // takes the next prepared window: exchange into recv_
  Job next_job(const Job& j) const;
  const unsigned char* row_at(int64_t pos) const;

  const DataSettings& d_;
  const RunShape run_;
  const SampleSource& src_;
  const Comm& comm_;
  StreamSizing sizing_;
  StreamOrder order_;
  int64_t row_bytes_, slots_;

  // Shared with the reader thread (under m_).
  std::mutex m_;
  std::condition_variable cv_;
  Job want_, ready_;  // requested; prepared (in plan_ / send_)
  bool busy_ = false, paused_ = false, stop_ = false;
  std::exception_ptr error_;
  WindowPlan plan_;                     // of ready_
  std::vector<unsigned char> send_;     // rows of ready_, by destination
  std::vector<unsigned char> block_x_;  // reader: one block's features and targets
  std::vector<int32_t> block_y_;
  std::vector<int64_t> epoch_blocks_;  // reader: block order of its current epoch
  std::vector<int64_t> epoch_starts_;
  int64_t reader_epoch_ = -1;
  std::thread reader_;

  // Main thread.
  int64_t epoch_ = -1, epoch_local_ = 0;
  std::vector<int64_t> starts_;  // window starts of epoch_
  Job next_;                     // the window advance() takes next
  WindowPlan cur_;               // the window in recv_
  bool have_cur_ = false;
  std::vector<unsigned char> recv_, carry_;
  int64_t carry_begin_ = 0, carry_n_ = 0;
  double wait_s_ = 0;
};

}  // namespace dpt
