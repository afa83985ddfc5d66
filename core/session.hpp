#pragma once
/// \file
/// Session: evaluates nodes of a Graph with cached execution plans and its own random
/// stream.

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scg/core/graph.hpp"
#include "scg/core/op.hpp"
#include "scg/core/tensor.hpp"

namespace scg::detail {
struct Plan;
class Storage;
}  // namespace scg::detail

namespace scg {
/// \addtogroup core
/// @{

/// One fed value: `input` (a node made by Graph::input, or a stochastic node) takes `value` for
/// one run. A fed stochastic node is not sampled: every reader and its log_prob see the fed
/// value (an observed or replayed choice), which must be a possible sample (a Bernoulli 0.5, a
/// categorical row that is not one-hot throw scg::Error naming the node); a fed pathwise node
/// (normal, ...) is the sample it replays, so its pathwise gradient is taken at the fed value.
/// A feed for a node the run does not need is ignored. Holds a pointer to
/// `value`, which must outlive the run call; a temporary Tensor does not compile
/// (`std::vector<Feed> f{{x, 2.0}}` would dangle).
struct Feed {
  /// Feeds `v` to `in`, by reference: `v` must outlive the run (no copy, no allocation).
  Feed(Var in, const Tensor& v) : input(in), value(&v) {}
  /// Feeds a temporary (`{{x, Tensor(3, 1)}}`): the Feed takes it over (moved in, shared by
  /// copies of the Feed), so it lives as long as the Feed. Allocates once per Feed.
  Feed(Var in, Tensor&& v)
      : input(in), owned(std::make_shared<const Tensor>(std::move(v))), value(owned.get()) {}
  Var input;                            ///< the input node
  std::shared_ptr<const Tensor> owned;  ///< the value, where the Feed owns it
  const Tensor* value;                  ///< its value for this run
};

/// Session behaviour.
struct SessionOptions {
  /// Check every op's output for NaN or infinity and throw scg::Error naming the node that
  /// first produced one (off: faster, and non-finite values propagate silently).
  bool check_finite = true;
  /// Most compiled plans kept (one per distinct target list, found by a hash of the list):
  /// compiling one for a new list when this many are kept drops the least recently run one
  /// (it is compiled again if its list is run again). 0: no bound.
  std::size_t max_plans = 256;
  /// Threads per run: 1 (the default) runs on the calling thread; n > 1 uses a pool of n
  /// threads (the caller and n - 1 workers, started with the session) within each run; 0
  /// means std::thread::hardware_concurrency(). Large ops (matrix products, elementwise ops
  /// over large tensors) are split into parts chosen from their shapes alone, so results are
  /// bitwise identical whatever the thread count; small ops stay on the calling thread.
  std::size_t threads = 1;
};

/// Evaluator for one graph. Each run draws one fresh joint sample of every stochastic node it
/// evaluates; every reader of a stochastic node in that run sees the same sample. Plans are
/// compiled once per set of targets and replayed: once warm, run() allocates nothing.
/// One Session per thread; the graph must not change while a run is under way.
class Session {
 public:
  /// Evaluator for `g` whose random stream is seeded with `seed`.
  Session(const Graph& g, std::uint64_t seed, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// One evaluation of `v`. The reference stays valid until the next run of this session (it
  /// never aliases a parameter's storage, so set_value does not change it).
  const Tensor& run(const Var& v, const std::vector<Feed>& feeds = {});
  /// One evaluation of all of `vs` with one joint sample. Valid until the next run.
  const std::vector<Tensor>& run(const std::vector<Var>& vs, const std::vector<Feed>& feeds = {});
  /// The random stream (e.g. to reseed it).
  Engine& engine() { return engine_; }
  /// The random stream's state as text (Boost.Random's engine format), for checkpoints.
  std::string random_state() const;
  /// Restores a state from random_state(); throws scg::Error (changing nothing) if malformed.
  void set_random_state(const std::string& state);
  /// The per-session states of stateful ops run so far (moving averages), by node id.
  std::vector<std::pair<std::size_t, Tensor>> op_states() const;
  /// Restores states from op_states(): every node and shape is checked before any is set.
  void set_op_states(const std::vector<std::pair<std::size_t, Tensor>>& states);
  /// Number of compiled plans kept (one per distinct target list; see max_plans).
  std::size_t plan_count() const { return plans_.size(); }
  /// Drops every compiled plan (buffers and op states stay).
  void clear_plans();

 private:
  detail::Plan& plan_for(const std::vector<Var>& vs);
  void execute(detail::Plan& plan, const std::vector<Feed>& feeds);
  /// Checks `feeds`, sorts them into fed_ and loads the plan's inputs; true if any feeds a
  /// stochastic node.
  bool bind_feeds(detail::Plan& plan, const std::vector<Feed>& feeds);
  [[noreturn]] void report_non_finite(std::size_t node, const RunContext& ctx) const;

  const Graph& graph_;
  Engine engine_;
  SessionOptions options_;
  std::unique_ptr<detail::Storage> storage_;  // buffers and states, shared by the plans
  std::unique_ptr<detail::ThreadPool> pool_;  // SessionOptions::threads > 1
  struct IdsHash {
    std::size_t operator()(const std::vector<std::size_t>& ids) const;
  };
  using PlanList = std::list<std::unique_ptr<detail::Plan>>;  // most recently run first
  PlanList plans_;
  std::unordered_map<std::vector<std::size_t>, PlanList::iterator, IdsHash> index_;
  std::vector<std::size_t> key_;                            // scratch: the target ids of this run
  std::vector<Var> single_;                                 // scratch for run(Var)
  std::vector<std::pair<std::size_t, const Tensor*>> fed_;  // scratch: this run's feeds by id
};

/// @}
}  // namespace scg
