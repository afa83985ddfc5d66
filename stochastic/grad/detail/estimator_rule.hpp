#pragma once
// Internal (not installed): an estimator is one rule. A rule names its Estimator value, says
// where it applies (from the Distribution's declared traits, never from op names), the orders
// of derivative it is valid for, and the terms it adds to grad's surrogate. grad checks the
// options and dispatches by looking the rule up; stochastic/grad/estimators/ holds one file per
// rule and the table of them (rules.cpp).

#include <cstddef>
#include <span>
#include <string>

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
