#pragma once
// Internal (not installed): the execution plan a Session compiles once per target list
// (core/detail/plan.cpp) and replays on every run (core/session.cpp).

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scg/core/graph.hpp"
#include "scg/core/op.hpp"
#include "scg/core/tensor.hpp"

namespace scg::detail {

/// Tensors a session owns and its plans point into: one buffer per computed or fed node, one
/// state per stateful op. Shared by all plans of the session (stable addresses).
class Storage {
 public:
  explicit Storage(const Graph& g) : graph_(g) {}
  /// The tensor holding node `id`'s value: a parameter's or constant's own storage (read in
  /// place), else a session buffer made on first use.
  Tensor* buffer(std::size_t id);
  /// The session state of stateful node `id`, made on first use with `shape`.
  Tensor* state(std::size_t id, Shape shape);
  /// The buffer of node `id` if one exists (for error reports), else nullptr.
  const Tensor* find(std::size_t id) const;
  /// Every state made so far, by node id (increasing).
  std::vector<std::pair<std::size_t, Tensor>> states() const;

 private:
  const Graph& graph_;
  std::unordered_map<std::size_t, std::unique_ptr<Tensor>> buffers_, states_;
};

/// A compiled target list. Scalar nodes (operands and output 1x1, op with a scalar kernel)
/// read and write slots of `arena`, a contiguous array of every 1x1 value in the plan.
/// Consecutive scalar nodes form a run whose outputs are consecutive slots, replayed as a
/// tight loop over 16-byte records; other nodes run the op's forward on Tensor buffers.
struct Plan {
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct ScalarOp {
    const Op* self;      // its kernel is self->traits().scalar
    std::uint32_t a, b;  // operand slots
  };
  struct Step {
    std::uint32_t general;       // index into `general`, or kNone for a run of scalar ops
    std::uint32_t first, count;  // run: ops[first, first + count), outputs arena[out, out + count)
    std::uint32_t out;           // run: first output slot; general: slot for a 1x1 output, or kNone
    std::uint32_t first_mirror, mirror_count;  // run: mirrors[...] to copy out after it
  };
  struct General {
    std::size_t first_in, n_in;  // operand buffers: in_ptrs[first_in .. first_in + n_in)
    Tensor* out;
    Tensor* state;
    const Op* op;
    std::size_t node;
    const Tensor* fed = nullptr;  // this run's fed value instead of a sample (stochastic ops only)
  };
  std::vector<std::size_t> targets;  // target ids, in call order
  std::vector<Step> steps;           // in topological order
  std::vector<ScalarOp> ops;
  std::vector<std::pair<std::uint32_t, double*>> mirrors;  // scalar values also needed as Tensors
  std::vector<General> general;
  std::vector<const Tensor*> in_ptrs;
  std::vector<double> arena;
  std::uint32_t first_op_slot = 0;  // slots below hold 1x1 leaves, from here 1x1 op outputs
  std::vector<std::pair<std::uint32_t, const double*>> leaf_loads;  // 1x1 parameters and feeds
  std::vector<std::pair<std::size_t, Tensor*>> inputs;  // input nodes needed, with buffers
  std::vector<std::pair<std::size_t, std::uint32_t>>
      random;  // stochastic nodes: (id, general index), by id
  std::vector<Tensor*> target_ptrs;
  std::vector<Tensor> results;
  // Per target: swap storage with its buffer instead of copying (large results the plan
  // rewrites in full each run; run(vector) only).
  std::vector<char> swap;
  // Per target: its buffer is a parameter's or constant's own storage, which run(Var) must
  // copy out rather than return (set_value would change it without a run).
  std::vector<char> graph_owned;
};

/// Compiles the plan for `targets` (non-empty Vars of `g`, checked by the caller).
std::unique_ptr<Plan> compile_plan(const Graph& g, const std::vector<Var>& targets,
                                   Storage& storage);

/// The node whose 1x1 output is in arena slot `slot` (>= first_op_slot) of `plan` (recomputed
/// when needed, for error messages, rather than stored per op).
std::size_t node_of_slot(const Graph& g, const Plan& plan, std::uint32_t slot);

}  // namespace scg::detail
