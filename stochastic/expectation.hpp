#pragma once
/// \file expectation: exact marginalization over discrete choices.

#include "../core/graph.hpp"

namespace scg {

/// Options of expectation.
struct ExpectationOptions {
  /// Largest number of joint states enumerated; above it expectation throws scg::Error.
  double max_states = 4096;
};

/// Exact E[cost] over every discrete stochastic ancestor of `cost`, by enumerating their
/// joint states; itself built from ops, so grad of it is the exact gradient. Throws
/// scg::Error (naming the count) above options.max_states, and for continuous ancestors.
Var expectation(const Var& cost, const ExpectationOptions& options = {});

}  // namespace scg
