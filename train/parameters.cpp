// parameters_by_name (see parameters.hpp).
#include "scg/train/parameters.hpp"

#include "scg/core/error.hpp"

namespace scg {

std::map<std::string, Var> parameters_by_name(const Graph& g) {
  std::map<std::string, Var> out;
  for (std::size_t id = 0; id < g.size(); ++id) {
    if (g.kind(id) != NodeKind::kParameter) continue;
    if (!out.emplace(g.name(id), const_cast<Graph&>(g).var(id)).second)
      throw Error("two parameters are named '" + g.name(id) +
                  "'; checkpoints and scg::mpi match parameters by name, so names must be unique");
  }
  return out;
}

}  // namespace scg
