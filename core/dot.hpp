#pragma once
/// \file
/// Graphviz DOT export.

#include <ostream>

#include "scg/core/graph.hpp"

namespace scg {
/// \addtogroup core
/// @{

/// Writes `g` in Graphviz DOT: parameters blue, inputs green, stochastic nodes as double
/// octagons filled orange, costs as bold red boxes, gradient (derived) nodes grey.
void write_dot(const Graph& g, std::ostream& out);

/// @}
}  // namespace scg
