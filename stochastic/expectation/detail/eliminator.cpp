#include "scg/stochastic/expectation/detail/eliminator.hpp"

#include "scg/ops/detail/helpers.hpp"
#include "scg/stochastic/expectation/detail/terms.hpp"

namespace scg::detail {

Factor produce(const EliminationPlan& plan, const EliminationStep& step,
               const std::vector<Factor>& bucket, const Contraction& c, const Semiring& s,
               Var* contracted) {
  Factor summed = s.eliminate(bucket, c);
  if (contracted) *contracted = summed.a;
  summed.scope = plan.scopes[step.produced];
  return step.collapse ? s.collapse(summed) : summed;
}

Factor run_plan(const EliminationPlan& plan, std::vector<Factor> factors, const Semiring& s,
                const Tables& tables) {
  factors.resize(plan.scopes.size());
  std::vector<Factor> bucket;
  for (const EliminationStep& step : plan.steps) {
    tables.check_size(step.scope, "summing out " + tables.describe_variable(step.variable));
    const Contraction c = tables.contraction(plan, step);
    bucket.clear();
    for (std::size_t f : step.consumed) bucket.push_back(std::move(factors[f]));
    factors[step.produced] = produce(plan, step, bucket, c, s);
  }
  std::vector<Factor> results;
  for (std::size_t f : plan.results) results.push_back(factors[f]);
  return s.multiply(results);
}

Var Eliminator::run() {
  // 1. Variables and dependent nodes.
  if (!tables_.find_variables()) return g_.var(top_);
  // 2. Terms: below the cost through linear ops. A cost exp(x) (a likelihood: the exp of a sum
  // of log-factors) is a product: its terms, below x, are multiplicative factors exp(d_j).
  const bool likelihood = is_exp(g_.op(top_));
  const std::size_t root = likelihood ? g_.inputs(top_)[0] : top_;
  const LinearTerms terms = linear_terms(g_, top_, root, tables_.dependent(), tables_.var_of());
  // 3. Regions: the terms', then each variable's reached from them; plates; state counts.
  tables_.find_regions(terms.nodes);
  const ExpectationSemiring expectation;
  const LogSumExpSemiring log_sum_exp;
  const Semiring& s = likelihood ? static_cast<const Semiring&>(log_sum_exp) : expectation;
  // 4. Factor tables: the reached variables', then the terms'.
  std::vector<Factor> factors;
  for (std::size_t v = 0; v < tables_.variables(); ++v)
    if (tables_.reached(v)) factors.push_back(tables_.choice_factor(v, s));
  for (std::size_t j = 0; j < terms.nodes.size(); ++j) {
    const Var w = terms.weights.empty() ? Var() : terms.weights[j];
    factors.push_back(tables_.term_factor(j, terms.nodes[j], w, factors.size(), s));
  }
  // 5. Elimination: the plan, from the factors' scopes, run in the semiring.
  std::vector<std::vector<std::size_t>> scopes;
  for (const Factor& f : factors) scopes.push_back(f.scope);
  plan_ = plan_elimination(tables_.states(), std::move(scopes), tables_.locals());
  const Factor all = run_plan(plan_, std::move(factors), s, tables_);
  return s.result(g_, all, terms.offset);
}

}  // namespace scg::detail
