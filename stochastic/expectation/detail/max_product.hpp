#pragma once
/// \file max_product: the jointly most probable state of a model's finite discrete choices, by
/// max-sum elimination (max-product in log space) in expectation's plan, then a traceback; and
/// an exact joint draw from the posterior by the same walk over sum-product elimination.

#include <vector>

#include "scg/core/graph.hpp"
#include "scg/stochastic/expectation/expectation.hpp"

namespace scg::detail {

/// For a likelihood `cost` = exp(x) (x 1x1, reading every node of `choices`): nodes shaped like
/// `choices` holding the joint state maximizing p(z) exp(x(z)). The factors are expectation's
/// log-tables; each step takes the largest aligned sum over its variable (log_max_sum) and
/// keeps its bucket; walked backwards, each step picks its variable's best state given the
/// later variables' (the lowest state on exact ties), per plate row when plated.
std::vector<Var> max_product_mode(const Var& cost, const std::vector<Var>& choices,
                                  const ExpectationOptions& options);

/// For `cost` and `choices` as for max_product_mode: nodes shaped like `choices` holding one
/// draw per run from p(z) exp(x(z)) / E[exp(x)]. The steps are log_product_sum (log-sum-exp
/// of the aligned log-tables, the forward filter), each keeping its bucket; walked
/// backwards, each step draws its variable's state from exp of its bucket's sums given the
/// later variables' states, with one uniform per plate row from the session's engine.
std::vector<Var> forward_filter_backward_sample(const Var& cost, const std::vector<Var>& choices,
                                                const ExpectationOptions& options);

}  // namespace scg::detail
