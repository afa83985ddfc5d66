#pragma once
/// \file choices: which stochastic ancestors expectation sums over, and the errors it shares.

#include <string>

#include "scg/core/graph.hpp"
#include "scg/stochastic/expectation/expectation.hpp"

namespace scg::detail {

/// n as an integer where it fits, else in floating point (state counts in messages).
std::string count_str(double n);

/// True for a finite discrete stochastic node (a choice expectation sums over); false for a
/// deterministic node, or a continuous one that may stay sampled. Throws for a stochastic
/// node that is not finite, unless it may stay sampled.
bool is_variable(const Graph& g, std::size_t id, const ExpectationOptions& o);

/// Throws: node id is a black_box cost of random choices.
[[noreturn]] void refuse_black_box(const Graph& g, std::size_t id);

}  // namespace scg::detail
