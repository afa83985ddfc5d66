#pragma once
// Internal (not installed): the log_mean_exp bounds a choice reaches the cost through, for the
// estimators defined over multi-sample bounds (Baseline::kVimco, Estimator::kDisarm's local
// form).

#include <string>
#include <vector>

#include "scg/core/graph.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/detail/surrogate.hpp"

namespace scg::detail {

/// The log_mean_exp nodes (ascending) through which choice s reaches the cost terms `builder`
/// boxed, in row groups: from each term that reads s in groups, down through ops linear in
/// their one dependent operand (add, neg, sum, scaling: CostTerms) to log_mean_exp nodes.
/// Throws scg::Error (`who` first) where s reaches such a term through anything else. With
/// `only_bounds`, s must reach every term through such bounds: a term that reads s row by row,
/// or s read along a linear path above a bound, throws too.
std::vector<std::size_t> grouped_bounds(const Graph& g, const Dependencies& deps, std::size_t s,
                                        const Surrogate& builder, const std::string& who,
                                        bool only_bounds);

}  // namespace scg::detail
