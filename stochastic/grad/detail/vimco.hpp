#pragma once
// Internal (not installed): Baseline::kVimco (Mnih and Rezende 2016) for a score-function
// choice that reaches the cost through log_mean_exp bounds over groups of K samples.

#include "scg/core/graph.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/detail/surrogate.hpp"

namespace scg::detail {

/// The baseline term of choice s: for each bound L = log_mean_exp(x, K) that s reaches through
/// row groups (one sample per row of x and of s), row r's baseline is sum_c W_bc L_{-r, c}, W
/// the bound's weight in the cost (d surrogate / d L, held constant), b = r / K its group and
/// L_{-r} the bound with x_r replaced by the mean of its group's other rows. The term has value
/// 0 and gradient -b d rho_s, and refuses a second derivative (VIMCO is first order). Throws
/// scg::Error naming s where it reaches no such bound, reaches one through another op than
/// log_mean_exp itself (the cost must be linear in the bound), through ops that mix rows, or
/// through groups of fewer than 2 samples.
Var vimco_term(Graph& g, const Var& surrogate, std::size_t s, Surrogate& builder,
               const Dependencies& deps);

}  // namespace scg::detail
