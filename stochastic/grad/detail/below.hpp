#pragma once
// Internal (not installed): the part of a graph below some nodes, for the transformations that
// evaluate a cost again with choices held at other states (kEnumerate, expectation): one
// forward sweep that finds it, and one clone of it. Node ids are topological (inputs first),
// so both are single passes in id order, with no recursion.
#include <cstddef>
#include <vector>

#include "scg/core/graph.hpp"
#include "scg/core/tensor.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"

namespace scg::detail {

/// below[id] for the ancestors `anc` of a node, ids `from` to `last`: `source(id, reads)` with
/// `reads` true where one of id's inputs is below; it returns whether id is (a source says
/// true whatever `reads`; a check may throw). Size last + 1; 0 outside the sweep.
template <class Source>
std::vector<char> sweep_below(const Graph& g, const std::vector<char>& anc, std::size_t from,
                              std::size_t last, Source&& source) {
  std::vector<char> below(last + 1, 0);
  for (std::size_t id = from; id <= last; ++id) {
    if (!anc[id]) continue;
    bool reads = false;
    for (std::size_t i : g.inputs(id)) reads = reads || below[i];
    below[id] = source(id, reads) ? 1 : 0;
  }
  return below;
}

/// Node `last` evaluated again with the nodes `below` (ids `from` on) cloned: a node held at a
/// value is replaced by `fixed(id, inputs)` (inputs: its inputs' clones; an empty Var: not
/// held), a MagicBox of an earlier grad by the constant 1 (its value at every state), every
/// other node below is applied again to its inputs' clones, and a node not below is shared.
/// (expectation's tables clone through a memo of their own, so that factors share clones.)
template <class Fixed>
Var clone_below(Graph& g, const std::vector<char>& below, std::size_t from, std::size_t last,
                Fixed&& fixed) {
  std::vector<Var> clone(last + 1);
  auto cloned = [&](std::size_t i) { return i >= from && below[i] ? clone[i] : g.var(i); };
  std::vector<Var> in;
  for (std::size_t id = from; id <= last; ++id) {
    if (!below[id]) continue;
    if (is_frozen_box(g, id)) {
      clone[id] = g.constant(Tensor(g.shape(id), 1.0));
      continue;
    }
    in.clear();
    for (std::size_t i : g.inputs(id)) in.push_back(cloned(i));
    clone[id] = fixed(id, in);
    if (clone[id].empty()) clone[id] = g.apply(g.shared_op(id), in);
  }
  return cloned(last);
}

}  // namespace scg::detail
