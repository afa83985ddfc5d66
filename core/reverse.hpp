#pragma once
/// \file
/// Plain symbolic reverse mode: the vector-Jacobian products of every op on the paths
/// from `wrt` to `y`, emitted as new nodes. (The public `grad`, which adds score terms for
/// stochastic choices first, is in stochastic/grad/grad.hpp.)

#include <functional>
#include <vector>

#include "scg/core/graph.hpp"

namespace scg {
/// \addtogroup core
/// @{

/// Adds two gradient contributions of the same shape (supplied by ops/, so core names no op).
using Accumulate = std::function<Var(const Var&, const Var&)>;

/// Says which nodes pass no gradient to their operands (treated as constants).
using Blocked = std::function<bool(std::size_t)>;

/// Nodes computing sum_k seed_k * d y_k / d wrt_i, one per `wrt` (zeros where `y` does not
/// depend on it). `seed` has y's shape. Every node built is marked derived. Nodes for which
/// `blocked` (if given) returns true pass no gradient on.
std::vector<Var> reverse_mode(const Var& y, const Var& seed, const std::vector<Var>& wrt,
                              const Accumulate& add, const Blocked& blocked = {});

/// @}
}  // namespace scg
