#pragma once
// Internal (not installed): the MagicBox surrogate of a cost. Through ops along which the
// cost splits into additive terms (CostTerms: add, sub, neg, sum, scaling by something
// independent of the choices, matmul by such a matrix, ...) the transform rebuilds the node
// from its operands' transforms; at any other node v that depends on choices it returns
// v * magic_box(tau_v), where tau_v sums the log-probabilities of the choices v depends on:
// per row (rows x 1) for row-local dependence, in total otherwise. So each choice is weighted
// only by the terms and rows of the cost that depend on it; reverse mode of the surrogate
// gives the estimator (DiCE: right at every order). Both passes are loops over ids (no
// recursion), and tau is shared between terms whose choice sets share a tail.
//
// Loaded DiCE (GradOptions::lambda < 1; Farquhar et al. 2019): a choice's depth is the longest
// chain of choices that ends at it (0 for a choice that depends on none; a step of a rollout
// is its time). A term's choices are grouped by depth into levels j_1 < ... < j_n, rho~_k the
// summed log-probabilities of level k; w_k = lambda^(j_k - j_{k-1}) w_{k-1} + rho~_k, and the
// term is weighted by W = box(w_1) + sum_{k>1} [box(w_k) - box(lambda^(j_k - j_{k-1}) w_{k-1})]
// instead of box(tau) (equal at lambda = 1: the sum telescopes). W is 1 in value, its first
// derivative is the sum of the scores (unbiased at first order for every lambda); at second
// order the product of two scores at depths i, j is weighted lambda^|i - j|. Levels are
// hash-consed lists (the deepest level at the head), so terms along a chain share their prefixes.

#include <boost/container_hash/hash.hpp>
#include <deque>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "scg/stochastic/grad/detail/dependencies.hpp"

namespace scg::detail {

class Surrogate {
 public:
  /// The surrogate builder for the cost analysed by `deps`. With `distinct_rho`, each
  /// choice's per-row log-probability is a node of its own (baselines differentiate with
  /// respect to it).
  Surrogate(Graph& g, const Dependencies& deps, bool distinct_rho, bool live = false,
            double lambda = 1.0);
  /// The MagicBox of t: live_magic_box for a grad with GradOptions::live_boxes.
  Var box(const Var& t) const;
  /// The weight T puts on node id's term: box(tau(id)), or Loaded DiCE's W (lambda < 1).
  Var weight(std::size_t id);
  /// For choice s: the log-probabilities its own distribution depends on, as its weight sees
  /// them (tau(s) - rho(s); with lambda < 1 the discounted w of its earlier levels). Empty if
  /// none.
  Var before(std::size_t s);
  /// True if the boxes are live.
  bool live() const { return live_; }
  /// Creates the user-level log_prob nodes of every choice (before any derived node, so they
  /// are not marked derived).
  void prepare_log_probs();
  /// T(cost). Afterwards transformed(v) gives T(v) for every node the transform rebuilt.
  Var transform(const Var& cost);
  /// T(v) if the transform rebuilt v, else v.
  Var transformed(const Var& v) const;
  /// rows x 1 log-probability of choice s, one entry per row.
  Var rho(std::size_t s);
  /// tau_v: per row (local choices) plus in total (full ones), the log-probabilities of the
  /// choices node v depends on.
  Var tau(std::size_t id);
  /// True if choice s reaches some term through ops that mix rows.
  bool full_somewhere(std::size_t s) const { return full_.count(s) > 0; }
  /// The nodes T boxed as terms (v * magic_box(tau_v)), ascending.
  const std::vector<std::size_t>& boxed() const { return boxed_; }
  /// True if choice s reaches some term through row groups (log_mean_exp over samples): a
  /// row of that term is weighted by the summed log-probabilities of its group's rows.
  bool grouped_somewhere(std::size_t s) const { return grouped_.count(s) > 0; }

 private:
  std::vector<char> splits() const;
  /// Per row of a node of `rows` rows (rows > 0), or in total (rows == 0), the sum of the
  /// log-probabilities of the choices in s (a choice of G times the rows: its rows summed in
  /// groups of G).
  Var tau_sum(DepSet s, Eigen::Index rows);
  /// Choice s's log-probability as a term of `rows` rows sees it: per row (its rows summed in
  /// groups where it has more), or in total (rows == 0).
  Var rho_term(std::size_t s, Eigen::Index rows, bool local);

  // Loaded DiCE: one level of a term's choices (those of one depth), with the levels of
  // smaller depth as its rest; hash-consed, so equal lists are the same pointer.
  struct Level {
    Eigen::Index rows;  // of the term (0: every choice full)
    int depth;
    std::vector<Dep> choices;
    const Level* rest;
  };
  const Level* levels(std::size_t id);
  Var loaded_w(const Level* l);
  Var shifted(const Level* l);  // lambda^(depth gap) w(rest); empty without a rest or at 0
  Var loaded_weight(const Level* l);

  Graph& g_;
  const Dependencies& deps_;
  bool distinct_rho_, live_;
  double lambda_;
  std::vector<int> depth_;  // per choice id (lambda < 1)
  std::deque<Level> level_cells_;
  std::map<std::tuple<Eigen::Index, int, std::vector<std::pair<std::size_t, bool>>, const Level*>,
           const Level*>
      level_table_;
  std::unordered_map<const Level*, Var> w_, shifted_, weight_;
  std::map<std::size_t, Var> rho_;
  std::unordered_map<std::size_t, Var> memo_;  // T(v) by id
  // Shared partial sums of tau: per (set, rows), 0 rows for the totals.
  std::unordered_map<std::pair<DepSet, Eigen::Index>, Var,
                     boost::hash<std::pair<DepSet, Eigen::Index>>>
      tau_;
  std::set<std::size_t> full_, grouped_;
  std::vector<std::size_t> boxed_;
};

/// d surrogate / d rho for each rho (one reverse-mode sweep): per row, the cost that
/// multiplies each choice's score term.
std::vector<Var> score_coefficients(const Var& surrogate, const std::vector<Var>& rhos);
/// sum((1 - magic_box(rho)) * b): value 0, gradient -b d rho. With b the score coefficient of
/// rho's choice it cancels that choice's score term exactly; with any b independent of the
/// choice it is a baseline (the expectation is unchanged).
Var score_cancelling(const Var& rho, const Var& b);

}  // namespace scg::detail
