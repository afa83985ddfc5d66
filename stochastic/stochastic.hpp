#pragma once
/// \file Stochastic nodes, gradients of expected costs, expectation, optimizers.

#include "distribution.hpp"
#include "expected_grad.hpp"
#include "optim.hpp"
