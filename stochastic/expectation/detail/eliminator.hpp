#pragma once
/// \file eliminator: exact variable elimination for a 1x1 cost (the default of expectation).

#include <vector>

#include "scg/core/graph.hpp"
#include "scg/stochastic/expectation/detail/plan.hpp"
#include "scg/stochastic/expectation/detail/semiring.hpp"
#include "scg/stochastic/expectation/detail/tables.hpp"
#include "scg/stochastic/expectation/expectation.hpp"

namespace scg::detail {

/// The factor step `step` of `plan` makes from its bucket (aligned by c) in semiring s: the
/// product with the step's variable summed out, its plate rows multiplied into one where the
/// step collapses (EliminationStep::collapse). `contracted`, when given, receives the
/// contraction's table before that collapse (a traceback reads it per row).
Factor produce(const EliminationPlan& plan, const EliminationStep& step,
               const std::vector<Factor>& bucket, const Contraction& c, const Semiring& s,
               Var* contracted = nullptr);

/// Runs `plan` in semiring s over the model's factors (plan.scopes[0, plan.inputs)): each step
/// multiplies the factors it consumes and sums its variable out (tables aligns them; it also
/// throws for a step above options.max_states). Returns the product of the factors left with
/// no scope (plan.results).
Factor run_plan(const EliminationPlan& plan, std::vector<Factor> factors, const Semiring& s,
                const Tables& tables);

/// E[cost] by variable elimination: variables, terms, regions and plates, factor tables, the
/// plan, then the plan run in the expectation semiring (an additive cost) or the log-sum-exp
/// semiring (a likelihood, cost exp(x)).
class Eliminator {
 public:
  Eliminator(const Var& cost, const ExpectationOptions& o)
      : g_(cost.graph()), top_(cost.id()), tables_(g_, top_, o) {}
  Var run();
  /// The plan the last run() ran (empty before, or when the cost reads no choice).
  const EliminationPlan& plan() const { return plan_; }

 private:
  Graph& g_;
  std::size_t top_;
  Tables tables_;
  EliminationPlan plan_;
};

}  // namespace scg::detail
