// The optimizer interface: one update per call over the model's flat parameter and gradient
// buffers, with all per-parameter state in ONE flat buffer laid out slot by slot:
//   state = [slot 0 for params 0..n-1][slot 1 for params 0..n-1]...
// (SGD: momentum_buffer; Adam/AdamW: exp_avg, exp_avg_sq; the names of torch.optim's state).
// A checkpoint saves the state of all parameters and steps(); slot k of parameter i is element
// k * n + i of the saved array (sharded: each rank writes its part), so any rank count reads it back. The layout depends only on the optimizer
// name and n, never on hyperparameters (SGD keeps its buffer even with momentum 0).
// Sharded (optimizer.shard, ZeRO stage 1): the optimizer owns only the parameters [begin, end) of
// the flat buffer: it updates those and keeps their state, slot after slot ([slot 0 for params
// begin..end-1][slot 1 ...]); state(), slot(k) and load_state() are that rank's part. The other
// ranks own the rest; the trainer sums the gradients of its range and gathers the parameters.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/param_store.hpp"

namespace dpt {

// The parameters [begin, end) of the flat buffer whose update and state one optimizer owns.
struct ParamShard {
  int64_t begin = 0, end = -1;  // end -1: all of them
  bool split = false;           // the ranks split the parameters (true on every rank, even one owning all or none)
  int64_t size() const { return end - begin; }
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual std::string name() const = 0;                     // "sgd" | "adam" | "adamw"
  virtual std::vector<std::string> slot_names() const = 0;  // one per state slot

  // One update with learning rate lr (finite, >= 0): increments steps(), then updates
  // store.params() from store.grads() and the state, in shard() only (the rest is untouched). The
  // store must hold n_params() values.
  // Frozen tensors (`trainable: false`) are skipped: neither the update, weight decay nor momentum
  // moves them, and their state stays as it is.
  void step(ParamStore& store, float lr);

  int64_t n_params() const { return n_; }
  ParamShard shard() const { return shard_; }    // {0, n_params()} unless sharded
  bool sharded() const { return shard_.split; }  // optimizer.shard over several ranks
  int slots() const { return slots_; }
  int64_t state_size() const { return static_cast<int64_t>(state_.size()); }  // slots() * shard().size()
  std::span<float> state() { return state_; }
  std::span<const float> state() const { return state_; }
  std::span<float> slot(int k);  // the shard().size() values of slot k
  std::span<const float> slot(int k) const;

  // Updates applied so far (torch.optim's state['step']): Adam's bias correction uses it, so a
  // checkpoint must save it with state().
  int64_t steps() const { return t_; }
  void set_steps(int64_t t);  // t >= 0
  // Restores a saved state (exactly state_size() values) and step count.
  void load_state(std::span<const float> state, int64_t t);

 protected:
  Optimizer(int64_t n, int slots, ParamShard shard);  // state zero, steps() 0
  // Applies update number t (1-based) to the n parameters [offset, offset + n) of the flat buffer
  // (p, dp: already at offset; inside shard()); their state in slot k at slot_at(k, offset).
  virtual void update(int64_t offset, int64_t n, float* p, const float* dp, float lr, int64_t t) = 0;
  float* slot_at(int k, int64_t offset) { return state_.data() + k * shard_.size() + (offset - shard_.begin); }

 private:
  void check_slot(int k) const;
  int64_t n_;
  ParamShard shard_;
  int slots_;
  int64_t t_ = 0;
  Buffer<float> state_;
};

// Plain settings, filled by the trainer from its config (field names are the optimizer.* keys).
// Defaults: dptrain's config defaults for SGD, torch.optim.Adam's for the Adam fields.
struct OptimizerSettings {
  std::string name = "sgd";  // sgd | adam | adamw
  double momentum = 0.9;     // sgd: [0, 1]
  bool nesterov = false;     // sgd only; needs momentum > 0
  double weight_decay = 0;   // >= 0. sgd, adam: L2 term added to the gradient; adamw: decoupled
  double beta1 = 0.9;        // adam, adamw: [0, 1)
  double beta2 = 0.999;      // adam, adamw: [0, 1)
  double eps = 1e-8;         // adam, adamw: > 0
};

// Throws dpt::Error naming the field and value, e.g. "optimizer.beta1 = 1: must be in [0, 1)".
// Only the fields the named optimizer uses are checked (momentum is ignored by adam/adamw).
void validate(const OptimizerSettings& s);

// Validates s and returns the optimizer for n_params parameters (n_params >= 0), owning `shard`
// (0 <= begin <= end <= n_params; all of them when shard.end is -1).
std::unique_ptr<Optimizer> make_optimizer(const OptimizerSettings& s, int64_t n_params, ParamShard shard = {});

}  // namespace dpt
