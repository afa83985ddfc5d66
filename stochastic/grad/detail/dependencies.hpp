#pragma once
// Internal (not installed): the dependency analysis behind grad. For every ancestor v of a
// cost, the score-function choices (bernoulli, categorical, ... and continuous nodes given
// the score estimator) whose values v depends on, split in two disjoint sets: row-local
// (row i of v depends on the choice only through row i of it) and full.
//
// A node built by an earlier grad is a function of the parameters and of the choices it
// read, like any other node (so a nonlinear function of a gradient estimate gets its own
// score terms); only its MagicBox nodes are frozen: their value is 1 whatever the choices,
// so they depend on nothing, and a later grad or expectation gives them derivative 0 (see
// docs/higher_order.md for why this is the rule that keeps every order unbiased).
//
// Sets are hash-consed sorted lists (largest choice id first): equal sets are the same
// pointer, and adding newer choices to a set shares the old one as a tail, so a running sum
// of n choices costs O(n) cells in all, not O(n^2).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>
#include <vector>

#include "scg/core/graph.hpp"

namespace scg::detail {

/// One cell of a hash-consed set of choice ids: the largest id and the rest.
struct DepCell {
  std::uint32_t choice;
  const DepCell* rest;
};
/// A set of choices (nullptr: empty). Equal sets are equal pointers.
using DepSet = const DepCell*;

/// One choice a node depends on.
struct Dep {
  std::size_t choice;  ///< id of the stochastic node
  /// Row i depends on it only through row i of the choice; where the choice has G times the
  /// node's rows (through log_mean_exp groups), only through rows [i G, (i + 1) G).
  bool row_local;
};

/// True if node `id` is a distribution whose parameters are reached by score terms (its
/// gradient path is kScore, or `score_nodes` lists it).
bool is_score_choice(const Graph& g, std::size_t id, const std::vector<std::size_t>& score_nodes);
/// True if node `id` is a MagicBox built by an earlier grad (value 1; frozen; a live box of a
/// grad with GradOptions::live_boxes too, except that reverse mode differentiates it).
bool is_frozen_box(const Graph& g, std::size_t id);
/// True if `op` is black_box's op (its value comes from outside the graph, so it cannot be
/// evaluated at other states of its choices).
bool is_black_box(const Op* op);

/// The analysis for the ancestors of one node.
class Dependencies {
 public:
  /// Analyses every ancestor of node `top` of `g`; `score_nodes` are pathwise nodes to be
  /// treated as score-function choices; `held[id]` set: choice id is a given value (inside the
  /// live boxes of an earlier grad; empty: none).
  Dependencies(const Graph& g, std::size_t top, std::vector<std::size_t> score_nodes = {},
               const std::vector<char>& held = {});
  /// Row-local choices of node `id` (nullptr for none or for non-ancestors).
  DepSet local(std::size_t id) const { return sets_.empty() ? nullptr : sets_[id].local; }
  /// Full (row-mixing) choices of node `id`.
  DepSet full(std::size_t id) const { return sets_.empty() ? nullptr : sets_[id].full; }
  /// True if node `id` depends on no choice.
  bool none(std::size_t id) const { return !local(id) && !full(id); }
  /// True if nodes a and b depend on the same choices in the same way.
  bool same(std::size_t a, std::size_t b) const {
    return local(a) == local(b) && full(a) == full(b);
  }
  /// Every choice of node `id`, by increasing id.
  std::vector<Dep> list(std::size_t id) const;
  /// True if `id` is `top` or one of its ancestors.
  bool ancestor(std::size_t id) const { return id < anc_.size() && anc_[id]; }
  /// By id: 1 for `top` and its ancestors.
  const std::vector<char>& ancestors() const { return anc_; }
  /// True if node `id` is one of the choices (a score-function stochastic node).
  bool is_choice(std::size_t id) const { return id < choice_.size() && choice_[id]; }
  /// The analysed node.
  std::size_t top() const { return anc_.size() - 1; }
  /// Calls f(choice) for each choice in `s`, largest id first.
  static void for_each(DepSet s, const std::function<void(std::size_t)>& f) {
    for (; s; s = s->rest) f(s->choice);
  }

 private:
  struct Sets {
    DepSet local = nullptr, full = nullptr;
  };
  DepSet cons(std::uint32_t choice, DepSet rest);
  DepSet unite(DepSet a, DepSet b);
  DepSet minus(DepSet a, DepSet b);

  std::vector<char> anc_, choice_;
  std::vector<Sets> sets_;  // by id; empty when no ancestor is a choice
  std::deque<DepCell> cells_;
  struct Key {
    std::uint32_t choice;
    const DepCell* rest;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<const void*>()(k.rest) * 0x9E3779B97F4A7C15ull ^ k.choice;
    }
  };
  std::unordered_map<Key, const DepCell*, KeyHash> table_;
  std::vector<std::uint32_t> scratch_;
};

}  // namespace scg::detail
