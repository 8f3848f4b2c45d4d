// One optimizer step of data-parallel training: this rank's slice of the global batch in
// train.grad_accumulation micro-batches (forward, loss, backward accumulating gradients), one
// all-reduce of the flat gradient buffer, the global gradient norm (identical on every rank),
// clipping, the non-finite check, and the optimizer update.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "comm/async_sum.hpp"
#include "comm/comm.hpp"
#include "input/augment.hpp"
#include "input/sample_rows.hpp"
#include "input/sampler.hpp"
#include "layers/loss.hpp"
#include "model/model.hpp"
#include "optim/optimizer.hpp"
#include "train/exact_sum.hpp"
#include "train/overlap_auto.hpp"
#include "train/powersgd.hpp"
#include "train/train_config.hpp"

namespace dpt {

struct StepResult {
  double loss_sum = 0;  // this rank's samples
  int64_t correct = 0, samples = 0;
  double grad_norm = 0;  // global, before clipping
  bool skipped = false;  // non-finite and train.nonfinite = skip
};

// One timed interval of a step, for per-rank traces (train/rank_timeline.hpp).
struct Span {
  const char* name;    // "data", "forward", "backward", "comm wait", "optimizer", "allreduce"
  double begin, end;   // wall_time() seconds
  int lane = 0;        // 0: the step's phases; 1: a gradient bucket's sum, from its start to the wait's end
  int64_t floats = 0;  // a bucket's floats on the wire (its size; with comm.compress: powersgd its P and Q)
};

// Seconds spent in the parts of one step (filled when run() gets a pointer).
struct StepTimes {
  double data = 0, forward = 0, backward = 0, comm = 0, optimizer = 0;
  std::vector<Span>* spans = nullptr;  // when set: every phase and bucket as a Span, appended
};

class StepRunner {
 public:
  StepRunner(Model& model, const Loss<float>& loss, Optimizer& opt, const Comm& comm, const TrainSettings& s);
  // Step `st` of `plan` over `shard` (this rank's samples of the epoch); global_step counts from 0.
  StepResult run(const SampleRows& shard, const EpochPlan& plan, int64_t st, int64_t global_step, float lr,
                 StepTimes* times = nullptr);
  // comm.compress: powersgd on several ranks: the compressor, whose state checkpoints keep; else null.
  PowerSgd* powersgd() { return psgd_.get(); }

 private:
  struct Laps {  // adds the seconds since the last lap() to one of StepTimes' fields (and a Span)
    std::vector<Span>* spans = nullptr;
    double mark = wall_time();
    void lap(double& acc, const char* name);
  };
  // Forward, loss and backward over rows [row, row + n) of the shard, whose first sample sits at
  // `sample_offset` in the global batch; accumulates into the gradients.
  LossResult pass(const SampleRows& shard, int64_t row, int64_t n, int64_t sample_offset, float grad_scale,
                  StepTimes& t, Laps& laps, const std::function<void(size_t)>& layer_done = nullptr);
  // train.deterministic: this rank's micro-shards, summed exactly with every rank's (step_exact.cpp).
  StepResult run_micro_shards(const SampleRows& shard, const EpochPlan& plan, int64_t st, StepTimes& t, Laps& laps);
  // The ExactSum of train.deterministic (null when off), after checking its constraints; with
  // comm.overlap its chunks are the buckets.
  std::unique_ptr<ExactSum> make_exact() const;
  void make_powersgd();  // comm.compress: powersgd: the compressor over the buckets, and its log line
  // The gradient norm, the non-finite check, clipping and the optimizer update.
  StepResult finish(StepResult r, int64_t global_step, float lr, StepTimes& t, Laps& laps);
  // optimizer.shard (step_shard.cpp): the ranks' parameter ranges and each bucket's part of them.
  void plan_shards();
  void log_hierarchy() const;  // comm.hierarchical's choice and the topology, once
  // The global gradient norm's square: the whole buffer's, or from the ranks' block sums when each
  // rank holds only its range of summed gradients (the same bits either way).
  double grad_norm_squared();
  // After the update of this rank's range: every rank's range arrives everywhere.
  void gather_params(StepTimes& t, Laps& laps);

  Model& model_;
  const Loss<float>& loss_;
  Optimizer& opt_;
  const Comm& comm_;
  const TrainSettings& s_;
  struct Bucket {
    size_t lowest_layer;    // complete once backward has finished this layer
    int64_t offset, count;  // in the flat gradient buffer
    BlockSplit split;       // optimizer.shard: the ranks' parts of the bucket
    int64_t recv_at = 0;    // optimizer.shard: where this rank's part goes in shard_grads_
  };
  std::vector<Bucket> buckets_;                       // in the order backward fills them (last layers first)
  size_t started_ = 0;                                // buckets whose sums are running in this step
  std::vector<Span>* spans_ = nullptr;                // this step's StepTimes::spans
  void start_bucket(size_t k);                        // its sum, and its Span when traced
  std::function<void(size_t)> layer_done_, no_hook_;  // Model::backward hooks
  int64_t outputs_ = 0;                               // model outputs per sample
  AsyncSum async_;
  OverlapAuto overlap_;              // comm.overlap (auto: chosen from the first steps)
  std::unique_ptr<ExactSum> exact_;  // train.deterministic
  Augmenter augment_;                // data.augment: applied to every training batch
  std::vector<int64_t> pass_rows_;   // train.deterministic: sizes of the step's forward passes
  Buffer<float> dout_, x_;           // (max local batch, outputs), (max local batch, input features)
  std::vector<uint16_t> wire_;       // comm.compress: bf16: the gradients as sent (parameters)
  std::unique_ptr<PowerSgd> psgd_;   // comm.compress: powersgd, on several ranks
  std::vector<int32_t> y_;
  // optimizer.shard on several ranks: gather_ (the update covers this rank's range, then the
  // parameters are gathered); scatter_ (the gradients are reduce-scattered: not with
  // train.deterministic or comm.compress, whose sums stay whole and only the update is sharded).
  bool gather_ = false, scatter_ = false;
  ParamShard own_;                   // this rank's range
  BlockSplit param_split_;           // every rank's range
  Buffer<float> shard_grads_;        // (own_.size()): the reduce-scatter's result
  std::vector<double> norm_blocks_;  // (kern::square_block_count(n)): the gradient norm's block sums
};

}  // namespace dpt
