#pragma once
// Internal (not installed): the dependency analysis behind grad. For every ancestor v of a
// cost and every score-function choice s (a bernoulli or categorical node) that v depends
// on, whether the dependence is row-local (row i of v depends on s only through row i of s)
// or full. Nodes built by an earlier grad ("derived") carry their own score terms and count
// as depending on nothing.

#include <cstddef>
#include <vector>

#include "../core/graph.hpp"

namespace scg::detail {

/// One choice a node depends on.
struct Dep {
  std::size_t choice;  ///< id of the stochastic node
  bool row_local;      ///< row i depends on it only through row i of the choice
};
/// The choices a node depends on, sorted by id.
using DepList = std::vector<Dep>;

/// True if node `id` is a stochastic node reaching its parameters by score terms only.
bool is_score_choice(const Graph& g, std::size_t id);

/// The analysis for the ancestors of one node.
class Dependencies {
 public:
  /// Analyses every ancestor of node `top` of `g`.
  Dependencies(const Graph& g, std::size_t top);
  /// The choices node `id` depends on (empty for non-ancestors).
  const DepList& of(std::size_t id) const { return deps_.empty() ? kNone : deps_[id]; }
  /// True if `id` is `top` or one of its ancestors.
  bool ancestor(std::size_t id) const { return id < anc_.size() && anc_[id]; }
  /// The analysed node.
  std::size_t top() const { return anc_.size() - 1; }

 private:
  static inline const DepList kNone{};
  std::vector<DepList> deps_;  // by id; empty when no ancestor is a choice
  std::vector<char> anc_;
};

/// True if a and b name the same choices with the same row locality.
bool same_deps(const DepList& a, const DepList& b);

}  // namespace scg::detail
