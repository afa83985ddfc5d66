#pragma once
/// \file Stochastic nodes, gradients of expected costs, expectation, optimizers.

#include "distributions.hpp"
#include "expectation.hpp"
#include "grad.hpp"
#include "checkpoint.hpp"
#include "optim.hpp"
