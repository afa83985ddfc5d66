#pragma once
// Internal (not installed): per-node estimators other than the score function, as terms added
// to grad's surrogate. Each cancels the node's score term exactly (a baseline equal to the
// cost that multiplies the score, row by row) and adds a term whose gradient is the chosen
// estimator's:
//   kDisarm    (bernoulli_pairs): DisARM over each antithetic pair of rows;
//   kEnumerate (bernoulli, categorical): the exact sum over the node's states of d p(state)
//              times the row's cost at that state (per element for bernoulli), by cloning the
//              part of the graph between the node and the cost once per state.
// These are unbiased at first order; their derivatives are not higher-order estimates.

#include <vector>

#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/detail/surrogate.hpp"
#include "scg/stochastic/grad/grad.hpp"

namespace scg::detail {

/// The terms for every node options.estimators gives kDisarm or kEnumerate, or an empty Var;
/// appends the nodes handled to `handled` (they get no baseline).
Var estimator_terms(Graph& g, const Var& surrogate, const Dependencies& deps, Surrogate& builder,
                    const GradOptions& options, std::vector<std::size_t>& handled);

}  // namespace scg::detail
