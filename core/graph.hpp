#pragma once
/// \file Graph (append-only, over boost::adjacency_list) and Var, the handle to one node.

#include <boost/graph/adjacency_list.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor.hpp"

namespace scg {

class Op;
class Graph;

/// What a node is: a leaf (parameter, constant, input) or the result of an op.
enum class NodeKind { kParameter, kConstant, kInput, kOp };

/// Bundled vertex property: everything the graph knows about one node.
struct Node {
  NodeKind kind = NodeKind::kOp;      ///< leaf kind, or kOp
  std::shared_ptr<const Op> op;       ///< the op (kOp only); shared between clones
  std::vector<std::size_t> inputs;    ///< operand ids in operand order (edges do not keep order)
  Shape shape;                        ///< static shape, inferred when the node is built
  std::string name;                   ///< user name of a parameter or input, else empty
  std::shared_ptr<Tensor> value;      ///< current value of a parameter or constant
  bool derived = false;  ///< built by grad: carries its own score terms, never boxed again
  bool cost = false;     ///< was the cost of a grad or expectation (drawn distinctly)
};

/// Handle to one node of one graph: cheap to copy. A default-constructed Var is empty and
/// every use of it throws scg::Error.
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
  /// The node's properties; throws if empty.
  const Node& node() const;
  /// "parameter 'w0' (#2, 1x1)" / "node #7 (mul, 2x3)", for messages.
  std::string describe() const;

 private:
  friend class Graph;
  Var(Graph* g, std::size_t id) : graph_(g), id_(id) {}
  Graph* graph_ = nullptr;
  std::size_t id_ = 0;
};

/// Owns the nodes. Append-only: ids are assigned in creation order, which is therefore a
/// topological order (an op's operands always have smaller ids). Not copyable or movable,
/// because Vars point at it.
class Graph {
 public:
  /// Edges run operand -> consumer; out-edges and vertices in vectors (ids are indices);
  /// directed (operands are kept, in order, in Node::inputs); Node is the bundle.
  using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, Node>;

  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  /// Trainable leaf named `name` with initial value `init`.
  Var parameter(std::string name, Tensor init);
  /// Constant leaf.
  Var constant(Tensor value);
  /// Leaf fed at each run with a rows x cols tensor.
  Var input(std::string name, Eigen::Index rows, Eigen::Index cols);
  /// Appends a node computing `op` of `inputs`: checks the operands (same graph, not empty),
  /// infers the shape (a shape error names the op, the new node and the operands).
  Var apply(std::shared_ptr<const Op> op, const std::vector<Var>& inputs);

  /// Number of nodes.
  std::size_t size() const { return boost::num_vertices(g_); }
  /// Node by id (unchecked beyond Boost's own).
  const Node& node(std::size_t id) const { return g_[id]; }
  /// Handle to node `id`; throws if out of range.
  Var var(std::size_t id);
  /// Description of node `id` for messages.
  std::string describe(std::size_t id) const;
  /// The underlying Boost graph (read-only).
  const BoostGraph& boost_graph() const { return g_; }
  /// Marks the node as a cost (drawn distinctly by write_dot).
  void mark_cost(std::size_t id) { g_[id].cost = true; }

  /// While alive, every node appended is marked `derived` (used by grad).
  class DerivedScope {
   public:
    explicit DerivedScope(Graph& g) : g_(g) { ++g_.derived_depth_; }
    ~DerivedScope() { --g_.derived_depth_; }
    DerivedScope(const DerivedScope&) = delete;
    DerivedScope& operator=(const DerivedScope&) = delete;

   private:
    Graph& g_;
  };

  /// Memo of nodes built from other nodes (e.g. a stochastic node's log_prob), so repeated
  /// transformations reuse them. Key: (tag, node id).
  Var* memo(const std::string& tag, std::size_t id);
  /// Stores a memo entry.
  void set_memo(const std::string& tag, std::size_t id, Var v) { memo_[{tag, id}] = v; }

 private:
  friend class Var;
  Var add_leaf(NodeKind kind, std::string name, Shape shape, std::shared_ptr<Tensor> value);
  BoostGraph g_;
  int derived_depth_ = 0;
  std::map<std::pair<std::string, std::size_t>, Var> memo_;
};

}  // namespace scg
