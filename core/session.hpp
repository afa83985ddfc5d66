#pragma once
/// \file Session: evaluates nodes of a Graph with cached execution plans and its own random
/// stream.

#include <cstdint>
#include <memory>
#include <vector>

#include "graph.hpp"
#include "op.hpp"
#include "tensor.hpp"

namespace scg {

/// One fed value: `input` (a node made by Graph::input) takes `value` for one run. Holds a
/// pointer to `value`, which must outlive the run call.
struct Feed {
  /// Feeds `v` to `in`.
  Feed(Var in, const Tensor& v) : input(in), value(&v) {}
  Var input;            ///< the input node
  const Tensor* value;  ///< its value for this run
};

/// Session behaviour.
struct SessionOptions {
  /// Check every op's output for NaN or infinity and throw scg::Error naming the node that
  /// first produced one (off: faster, and non-finite values propagate silently).
  bool check_finite = true;
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

  /// One evaluation of `v`. The reference stays valid until the next run of this session.
  const Tensor& run(const Var& v, const std::vector<Feed>& feeds = {});
  /// One evaluation of all of `vs` with one joint sample. Valid until the next run.
  const std::vector<Tensor>& run(const std::vector<Var>& vs, const std::vector<Feed>& feeds = {});
  /// The random stream (e.g. to reseed it).
  Engine& engine() { return engine_; }
  /// Number of compiled plans (one per distinct target list).
  std::size_t plan_count() const { return plans_.size(); }

 private:
  struct Plan;
  Plan& plan_for(const std::vector<Var>& vs);
  void execute(Plan& plan, const std::vector<Feed>& feeds);
  Tensor* buffer(std::size_t id);
  [[noreturn]] void report_non_finite(std::size_t node, const RunContext& ctx) const;

  const Graph& graph_;
  Engine engine_;
  SessionOptions options_;
  std::vector<std::unique_ptr<Plan>> plans_;
  std::vector<std::unique_ptr<Tensor>> buffers_;  // by node id; stable addresses
  std::vector<std::unique_ptr<Tensor>> states_;   // by node id, for stateful ops
  std::vector<Var> single_;                       // scratch for run(Var)
};

}  // namespace scg
