#include "scg/core/reverse.hpp"

#include <algorithm>

#include "scg/core/error.hpp"
#include "scg/core/op.hpp"

namespace scg {

std::vector<Var> reverse_mode(const Var& y, const Var& seed, const std::vector<Var>& wrt,
                              const Accumulate& add, const Blocked& blocked) {
  Graph& g = y.graph();
  if (seed.shape() != y.shape())
    throw ShapeError("reverse_mode: seed " + seed.shape().str() + " for " + y.describe());
  for (const Var& w : wrt) g.check_own(w, "grad", "a wrt entry");
  Graph::DerivedScope derived(g);
  const std::size_t top = y.id();
  // on_path[id]: id is an ancestor of y (or y) that depends on some wrt (or is one).
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{top});
  std::vector<char> on_path(top + 1, 0);
  std::size_t low = top + 1;
  for (const Var& w : wrt)
    if (w.id() <= top && anc[w.id()]) {
      on_path[w.id()] = 1;
      low = std::min(low, w.id());
    }
  for (std::size_t id = low; id <= top && low <= top; ++id) {
    if (!anc[id] || on_path[id] || (blocked && blocked(id))) continue;
    for (std::size_t in : g.inputs(id))
      if (on_path[in]) {
        on_path[id] = 1;
        break;
      }
  }

  std::vector<Var> adj(top + 1);
  adj[top] = seed;
  std::vector<Var> operands;
  std::vector<char> needed;
  for (std::size_t id = top + 1; id-- > low;) {
    if (!on_path[id] || adj[id].empty()) continue;
    const Op* op = g.op(id);
    if (!op || (blocked && blocked(id))) continue;
    operands.clear();
    needed.clear();
    for (std::size_t in : g.inputs(id)) {
      operands.push_back(g.var(in));
      needed.push_back(on_path[in]);
    }
    const std::vector<Var> grads = op->backward(operands, g.var(id), adj[id], needed);
    if (grads.size() != operands.size())
      throw Error("gradient rule of " + op->name() + " returned " + std::to_string(grads.size()) +
                  " results for " + std::to_string(operands.size()) + " operands");
    for (std::size_t i = 0; i < grads.size(); ++i) {
      const std::size_t in = operands[i].id();
      if (grads[i].empty() || !on_path[in]) continue;
      if (grads[i].shape() != operands[i].shape())
        throw Error("gradient rule of " + op->name() + " gave a " + grads[i].shape().str() +
                    " gradient for the " + operands[i].shape().str() + " operand " +
                    operands[i].describe());
      adj[in] = adj[in].empty() ? grads[i] : add(adj[in], grads[i]);
    }
  }
  std::vector<Var> out;
  out.reserve(wrt.size());
  for (const Var& w : wrt) {
    if (w.id() <= top && !adj[w.id()].empty())
      out.push_back(adj[w.id()]);
    else
      out.push_back(g.constant(Tensor(w.shape())));
  }
  return out;
}

}  // namespace scg
