#pragma once
/// \file memo: nodes built once per distinct computation while expectation builds its tables.

#include <boost/container_hash/hash.hpp>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "scg/core/graph.hpp"

namespace scg::detail {

/// Memoized construction in one graph. Clones of the same computation at the same states (an
/// HMM's transition table at every step) are then built and run once, and their gradients
/// meet in one place. Memos are hashed (constant time per lookup, so building stays linear
/// in the model's size).
class Memo {
 public:
  using Key = std::vector<std::uint64_t>;
  using Table = std::unordered_map<Key, Var, boost::hash<Key>>;

  explicit Memo(Graph& g) : g_(g) {}
  static Key op_key(const Op* op) { return {reinterpret_cast<std::uintptr_t>(op)}; }
  /// A constant node with this value: one per distinct value (the same state of two choices
  /// of one kind is one node), so clones that read it can be shared.
  Var constant(Tensor value);
  /// op(in), or the node already made for the same op and operands (deterministic, stateless
  /// ops give the same value for the same operands).
  Var apply(const std::shared_ptr<const Op>& op, const std::vector<Var>& in);
  /// v, or the node made before it for the same op and operands (v is then left unused).
  Var canon(const Var& v);
  /// v with every node from id `from` on (what one call built, e.g. a log_prob) made
  /// canonical: the same computation on the same operands as before is the earlier node.
  Var canon_since(const Var& v, std::size_t from);

 private:
  Graph& g_;
  Table applied_;    // by op and operand ids
  Table constants_;  // by shape and bits
};

}  // namespace scg::detail
