#pragma once
// Internal (not installed): an estimator is one rule. A rule names its Estimator value, says
// where it applies (from the Distribution's declared traits, never from op names), the orders
// of derivative it is valid for, and the terms it adds to grad's surrogate. grad checks the
// options and dispatches by looking the rule up; stochastic/grad/estimators/ holds one file per
// rule and the table of them (rules.cpp).

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "scg/core/distribution.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/detail/surrogate.hpp"
#include "scg/stochastic/grad/grad.hpp"

namespace scg::detail {

/// What a rule's terms may read: the graph, the surrogate built so far and its analysis.
struct EstimatorContext {
  Graph& g;
  const Var& surrogate;
  const Dependencies& deps;
  Surrogate& builder;
  const GradOptions& options;

  /// Per row, the cost that multiplies choice s's score term (d surrogate / d rho_s), held
  /// constant.
  Var score_coefficient(std::size_t s) const;
  /// Throws unless choice s reaches every cost term through ops that keep rows apart (row i of
  /// the cost depends on row i of s only, not on a group of its rows through log_mean_exp);
  /// `who` names the estimator.
  void require_row_local(std::size_t s, const std::string& who) const;
};

/// sum(f .* p) whose gradient is f .* dp with f held constant, and whose gradient cannot be
/// differentiated again: the estimate reads f through an op whose derivative throws scg::Error
/// naming `who` (a first-order estimator asked for a higher derivative is an error, never a
/// wrong number). f and p have one shape.
Var first_order_weighted(const Var& f, const Var& p, const std::string& who);

/// c with choice node `node` replaced by `state`: the part of the graph between the node and c
/// cloned (expectation's technique), everything else shared. Throws (naming `who`) where the
/// cost reaches the node through a black_box.
Var clone_with(Graph& g, const Var& c, std::size_t node, const Var& state, const std::string& who);

/// Throws unless no other choice lies between `node` and the cost (evaluating the cost at the
/// node's other states would change their distributions).
void require_no_downstream_choice(Graph& g, const Dependencies& deps, std::size_t node,
                                  const std::string& who);

/// The log_prob of node s's distribution (its own parameters) at `state`.
Var log_prob_at(Graph& g, std::size_t s, const Var& state);

/// Estimator::kUnorderedSet: the probability that sampling without replacement from a
/// categorical, renormalized without states of total probability m, draws the states of
/// probabilities p first, in any order (unordered_set.cpp; p is reordered, nothing allocated).
double unordered_set_probability(std::span<double> p, double m);

/// One estimator.
struct EstimatorRule {
  Estimator estimator;
  /// Its enumerator's name ("kDisarm"): to_string(Estimator) reads it.
  const char* name;
  /// Why the rule does not apply to a distribution declaring `d`, or "" where it does.
  std::string (*refuses)(const DistributionTraits& d);
  /// The highest order of derivative its estimates are valid for; 0: every order.
  int orders;
  /// The terms added to the surrogate for choice `node` (whose own score term they replace,
  /// so it gets no baseline), or null: the surrogate's own score or pathwise terms.
  Var (*terms)(EstimatorContext& ctx, std::size_t node);
  /// True if the node keeps its sample path (its derivative along the sample flows; a
  /// pathwise node under any other rule is made a score-function choice instead).
  bool pathwise = false;
};

/// Every rule, in the order of the Estimator values (rules.cpp).
std::span<const EstimatorRule* const> estimator_rules();
/// The rule of `e`.
const EstimatorRule& estimator_rule(Estimator e);

}  // namespace scg::detail
