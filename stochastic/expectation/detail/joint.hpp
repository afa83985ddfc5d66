#pragma once
/// \file joint: the joint reference of expectation (every joint state of the choices).

#include "scg/core/graph.hpp"
#include "scg/stochastic/expectation/expectation.hpp"

namespace scg::detail {

/// E[cost] by cloning the whole affected graph once per joint state of the choices (cost
/// exponential in their number; options.joint, or a cost that is not 1x1).
Var expectation_joint(const Var& cost, const ExpectationOptions& options);

}  // namespace scg::detail
