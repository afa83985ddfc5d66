#pragma once
/// \file
/// Stochastic nodes, gradients of expected costs, exact expectations.

#include "scg/stochastic/distributions/distributions.hpp"
#include "scg/stochastic/expectation/expectation.hpp"
#include "scg/stochastic/expectation/posterior.hpp"
#include "scg/stochastic/grad/grad.hpp"
