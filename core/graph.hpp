#pragma once
/// \file
/// Graph (append-only, compact) and Var, the handle to one node.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "scg/core/tensor.hpp"

namespace scg {
/// \addtogroup core
/// @{

class Op;
class Graph;

/// What a node is: a leaf (parameter, constant, input) or the result of an op.
enum class NodeKind : std::uint8_t { kParameter, kConstant, kInput, kOp };

/// Handle to one node of one graph: cheap to copy. A default-constructed Var is empty and
/// every use of it throws scg::Error. A Var must not outlive its Graph; using one whose graph
/// was destroyed throws scg::Error when another graph now lives at that address (and is
/// undefined otherwise, as for any dangling reference; see the README's "Lifetimes").
class Var {
 public:
  /// An empty handle.
  Var() = default;
  /// Static row count.
  Eigen::Index rows() const { return shape().rows; }
  /// Static column count.
  Eigen::Index cols() const { return shape().cols; }
  /// Static shape.
  Shape shape() const;
  /// Current value of a parameter or constant; throws for any other node.
  const Tensor& value() const;
  /// Replaces a parameter's value; the shape must stay the same (it is static).
  void set_value(const Tensor& v) const;
  /// The graph that owns the node; throws if empty.
  Graph& graph() const;
  /// The node's index in its graph (also its topological position).
  std::size_t id() const { return id_; }
  /// True for a default-constructed handle.
  bool empty() const { return graph_ == nullptr; }
  /// "parameter 'w0' (#2, 1x1)" / "node #7 (mul, 2x3)", for messages.
  std::string describe() const;

 private:
  friend class Graph;
  Var(Graph* g, std::uint32_t serial, std::uint32_t id) : graph_(g), serial_(serial), id_(id) {}
  Graph* graph_ = nullptr;
  std::uint32_t serial_ = 0;  // the graph's identity, checked on every use
  std::uint32_t id_ = 0;
};

/// Owns the nodes. Append-only: ids are assigned in creation order, which is therefore a
/// topological order (an op's operands always have smaller ids). Not copyable or movable,
/// because Vars point at it.
///
/// Storage: one 24-byte record per node and one 4-byte entry per operand, each in fixed-size
/// chunks (so growing never copies, and memory is not doubled); values of parameters and
/// constants, and names, in side tables. Boost.Graph works on graphs built from this one where its
/// algorithms earn their place (elimination orders and components of the choices' factor graph).
class Graph {
 public:
  Graph();
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  /// Trainable leaf named `name` with initial value `init`.
  Var parameter(std::string name, Tensor init);
  /// Constant leaf. 1x1 constants are interned: the same value (bit for bit) gives the same
  /// node, so `x * 0.9` in a loop adds one constant, not one per iteration.
  Var constant(Tensor value);
  /// Leaf fed at each run with a rows x cols tensor.
  Var input(std::string name, Eigen::Index rows, Eigen::Index cols);
  /// Appends a node computing `op` of `inputs`: checks the operands (same graph, not empty),
  /// infers the shape (a shape error names the op, the new node and the operands).
  Var apply(std::shared_ptr<const Op> op, const std::vector<Var>& inputs);

  /// Number of nodes.
  std::size_t size() const { return size_; }
  /// Handle to node `id`; throws if out of range.
  Var var(std::size_t id);

  // ---- reading a node (ids unchecked beyond debug assertions: take them from Vars) ----
  /// Leaf kind, or kOp.
  NodeKind kind(std::size_t id) const { return rec(id).kind; }
  /// The op of an op node, nullptr for a leaf.
  const Op* op(std::size_t id) const { return rec(id).op; }
  /// The same op as shared ownership (to build another node with it).
  std::shared_ptr<const Op> shared_op(std::size_t id) const;
  /// Operand ids in operand order (empty for leaves).
  std::span<const std::uint32_t> inputs(std::size_t id) const;
  /// Static shape.
  Shape shape(std::size_t id) const { return {rec(id).rows, rec(id).cols}; }
  /// User name of a parameter or input, else empty.
  const std::string& name(std::size_t id) const;
  /// Current value of a parameter or constant (sessions read it in place), else nullptr.
  const Tensor* value(std::size_t id) const;
  /// True if the node was built by grad (it carries its own score terms).
  bool derived(std::size_t id) const { return rec(id).flags & kDerived; }
  /// True if the node was the cost of a grad or expectation (drawn distinctly).
  bool is_cost(std::size_t id) const { return rec(id).flags & kCost; }
  /// Description of node `id` for messages.
  std::string describe(std::size_t id) const;
  /// Marks the node as a cost (drawn distinctly by write_dot).
  void mark_cost(std::size_t id) { rec(id).flags |= kCost; }

  /// Which operands a traversal follows.
  enum class Follow {
    kAll,   ///< every operand
    kRead,  ///< only operands whose values the op reads (what a run must compute)
  };
  /// The targets and every node they depend on, as a mask indexed by id (size: the largest
  /// target id + 1; 1 marks an ancestor or target). One reverse sweep over ids (ids are a
  /// topological order), so the cost is linear in the largest id, with no recursion.
  std::vector<char> ancestors(std::span<const std::size_t> targets,
                              Follow follow = Follow::kAll) const;
  /// The same for Vars of this graph.
  std::vector<char> ancestors(const std::vector<Var>& targets, Follow follow = Follow::kAll) const;

  /// While alive, every node appended is marked `derived` (used by grad).
  class DerivedScope {
   public:
    /// Marks the nodes appended to g until this scope ends.
    explicit DerivedScope(Graph& g) : g_(g) { ++g_.derived_depth_; }
    ~DerivedScope() { --g_.derived_depth_; }
    DerivedScope(const DerivedScope&) = delete;
    DerivedScope& operator=(const DerivedScope&) = delete;

   private:
    Graph& g_;
  };

  /// The log_prob node built for stochastic node `id`, or nullptr (log_prob builds it once, so
  /// repeated transformations share it).
  const Var* cached_log_prob(std::size_t id) const;
  /// Records the log_prob node of stochastic node `id`.
  void cache_log_prob(std::size_t id, Var v) { log_probs_[id] = v; }

  /// True if `v` is a non-empty Var of this graph.
  bool owns(const Var& v) const noexcept { return v.graph_ == this && v.serial_ == serial_; }
  /// Throws scg::Error unless owns(v); `who` and `what` name the caller and the role of `v`
  /// in the message.
  void check_own(const Var& v, const char* who, const char* what) const {
    if (!owns(v)) not_own(v, who, what);
  }

 private:
  friend class Var;
  static constexpr std::uint8_t kDerived = 1, kCost = 2;
  struct Record {  // 24 bytes
    const Op* op;  // nullptr for leaves
    std::uint32_t rows, cols;
    std::uint32_t first;  // ops: first operand in operands_; parameters and
                          // constants: index in values_
    std::uint16_t n_inputs;
    NodeKind kind;
    std::uint8_t flags;
  };
  static constexpr unsigned kChunkBits = 14;  // 16384 records (384 KiB) per chunk
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;
  static constexpr unsigned kOperandChunkBits = 16;  // >= any operand count (uint16)
  static constexpr std::size_t kOperandChunk = std::size_t{1} << kOperandChunkBits;

  Record& rec(std::size_t id) { return nodes_[id >> kChunkBits][id & (kChunk - 1)]; }
  const Record& rec(std::size_t id) const { return nodes_[id >> kChunkBits][id & (kChunk - 1)]; }
  Var push(const Record& r);
  [[noreturn]] void not_own(const Var& v, const std::string& who, const std::string& what) const;
  Var add_leaf(NodeKind kind, std::string name, Shape shape, Tensor* value);
  Tensor* mutable_value(std::size_t id);

  std::vector<std::unique_ptr<Record[]>> nodes_;
  std::vector<std::unique_ptr<std::uint32_t[]>> operands_;
  std::size_t size_ = 0, operand_size_ = 0;
  std::deque<Tensor> values_;  // stable addresses: sessions read parameters in place
  std::vector<std::pair<std::uint32_t, std::string>> names_;           // (id, name), ids increasing
  std::unordered_map<std::uint64_t, std::uint32_t> scalar_constants_;  // bits of value -> id
  std::vector<std::shared_ptr<const Op>> ops_;  // keeps every op used alive (one entry each)
  std::unordered_set<const Op*> known_ops_;
  std::uint32_t serial_;
  int derived_depth_ = 0;
  std::unordered_map<std::size_t, Var> log_probs_;  // by stochastic node id
};

/// @}
}  // namespace scg
