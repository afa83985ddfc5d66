#pragma once
/// \file
/// Parameters by name: the key checkpoints and scg::mpi match parameters by.

#include <map>
#include <string>

#include "scg/core/graph.hpp"

namespace scg {
/// \addtogroup training
/// @{

/// Every parameter of g by name, the key checkpoints and scg::mpi match parameters by; a name
/// used twice throws scg::Error naming it.
std::map<std::string, Var> parameters_by_name(const Graph& g);

/// @}
}  // namespace scg
