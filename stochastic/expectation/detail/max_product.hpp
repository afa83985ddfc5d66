#pragma once
/// \file max_product: the jointly most probable state of a model's finite discrete choices, by
/// max-sum elimination (max-product in log space) in expectation's plan, then a traceback.

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

}  // namespace scg::detail
