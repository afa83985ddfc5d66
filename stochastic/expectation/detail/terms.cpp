#include "scg/stochastic/expectation/detail/terms.hpp"

#include <algorithm>

#include "scg/core/op.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"

namespace scg::detail {
namespace {

/// Walks from root through the linear ops: the terms and the linear nodes, both ascending.
void split(const Graph& g, std::size_t root, const std::vector<char>& dep,
           const std::vector<int>& var_of, std::vector<char>& is_term,
           std::vector<std::size_t>& terms, std::vector<std::size_t>& lin_nodes) {
  std::vector<char> linear(is_term.size(), 0);
  std::vector<std::size_t> stack{root};
  while (!stack.empty()) {
    const std::size_t id = stack.back();
    stack.pop_back();
    if (linear[id] || is_term[id]) continue;
    std::vector<std::size_t> deps;
    const Op* op = g.op(id);
    if (op && var_of[id] < 0 && !is_frozen_box(g, id)) {
      const auto in = g.inputs(id);
      for (std::size_t i = 0; i < in.size(); ++i)
        if (dep[in[i]]) deps.push_back(i);
      const CostTerms t = op->traits().terms;
      const bool lin = t == CostTerms::kSumOfOperands ||
                       (t == CostTerms::kScaledOperand && deps.size() == 1) ||
                       (t == CostTerms::kScaledFirst && deps.size() == 1 && deps[0] == 0);
      if (lin) {
        linear[id] = 1;
        lin_nodes.push_back(id);
        for (std::size_t i : deps) stack.push_back(in[i]);
        continue;
      }
    }
    is_term[id] = 1;
    terms.push_back(id);
  }
  std::sort(terms.begin(), terms.end());
  std::sort(lin_nodes.begin(), lin_nodes.end());
}

}  // namespace

LinearTerms linear_terms(Graph& g, std::size_t top, std::size_t root, const std::vector<char>& dep,
                         const std::vector<int>& var_of) {
  LinearTerms out;
  std::vector<char> is_term(top + 1, 0);
  std::vector<std::size_t> lin_nodes;
  split(g, root, dep, var_of, is_term, out.nodes, lin_nodes);
  if (lin_nodes.empty()) return out;
  // W_j = d root / d c_j through the linear part, and L(0).
  std::vector<Var> wrt;
  for (std::size_t t : out.nodes) wrt.push_back(g.var(t));
  out.weights = reverse_mode(
      g.var(root), g.constant(Tensor(1, 1, 1.0)), wrt,
      [](const Var& a, const Var& b) { return a + b; },
      [&](std::size_t id) { return id <= top && is_term[id] != 0; });
  std::vector<Var> zero(top + 1);
  for (std::size_t t : out.nodes) zero[t] = g.constant(Tensor(g.shape(t), 0.0));
  for (std::size_t id : lin_nodes) {
    std::vector<Var> in;
    for (std::size_t i : g.inputs(id)) in.push_back(!zero[i].empty() ? zero[i] : g.var(i));
    zero[id] = g.apply(g.shared_op(id), in);
  }
  out.offset = zero[root];
  return out;
}

}  // namespace scg::detail
