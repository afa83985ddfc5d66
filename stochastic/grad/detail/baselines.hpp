#pragma once
// Internal (not installed): baselines for the score terms of grad. For each choice s with a
// baseline b_s, the term sum((1 - magic_box(rho_s)) b_s) is added to the surrogate: value 0,
// gradient -b_s d rho_s, so the expectation is unchanged and the variance (one hopes) lower.

#include "scg/core/graph.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/detail/surrogate.hpp"
#include "scg/stochastic/grad/grad.hpp"

namespace scg::detail {

/// The sum of the baseline terms (and learned baselines' regression losses) for the choices
/// `surrogate` depends on, or an empty Var when no choice gets a baseline. `cost_ancestors`
/// (by id: 1 for the cost and what it reads) marks what a regression loss must not train.
Var baseline_terms(Graph& g, const Var& surrogate, const std::vector<Dep>& choices,
                   Surrogate& builder, const Dependencies& deps, const GradOptions& options,
                   const std::vector<char>& cost_ancestors);

}  // namespace scg::detail
