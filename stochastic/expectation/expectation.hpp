#pragma once
/// \file
/// expectation: exact marginalization over discrete choices.

#include "scg/core/graph.hpp"

namespace scg {
/// \addtogroup expectation
/// @{

/// The largest ExpectationOptions::max_states accepted: 2^32 states.
inline constexpr double kMaxStatesLimit = 4294967296.0;

/// Options of expectation.
struct ExpectationOptions {
  /// Largest factor built while eliminating: the joint states (per row, for choices whose rows
  /// are independent) of the choices one elimination step combines. Above it expectation throws
  /// scg::Error naming those choices. With `joint`, the bound on all choices' joint states.
  /// At most kMaxStatesLimit (2^32); a larger value is refused with scg::Error.
  double max_states = 4096;
  /// true: continuous (and countable) stochastic ancestors stay sampled, and expectation is
  /// exact over the finite discrete choices only: each run is an unbiased, lower-variance
  /// estimate of E[cost], and grad of it is unbiased. false: they make expectation throw.
  bool sample_continuous = false;
  /// true: enumerate every joint state of the choices, cloning the graph once per state (the
  /// reference implementation; cost exponential in the number of choices). Also used for
  /// costs that are not 1x1.
  bool joint = false;
};

/// Exact E[cost] over the finite discrete stochastic ancestors of `cost`, built from ops, so
/// grad of it is the exact gradient (to any order). A 1x1 cost is split into additive terms
/// and the choices are summed out by variable elimination (sum-product over pairs (p, p c),
/// elimination order by minimum degree, independent groups of choices apart), so the work
/// grows with the largest factor (exponential in the treewidth), not with the joint state
/// count; choices whose rows the whole model keeps apart (a batch of independent examples)
/// are summed per row, vectorized. Throws scg::Error above options.max_states (naming the
/// factor), for continuous ancestors unless options.sample_continuous, and for black_box costs.
Var expectation(const Var& cost, const ExpectationOptions& options = {});

/// @}
}  // namespace scg
