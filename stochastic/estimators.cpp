// Per-node estimators other than the score function (see estimators.hpp).
#include "estimators.hpp"

#include <algorithm>

#include "../core/error.hpp"
#include "../core/reverse.hpp"
#include "../ops/ops.hpp"
#include "distributions.hpp"

namespace scg::detail {
namespace {

/// c with its choice node replaced by `state`: the part of the graph between the node and c
/// is cloned (expectation's technique), everything else is shared.
Var clone_with(Graph& g, const Var& c, std::size_t node, const Var& state) {
  const std::size_t top = c.id();
  if (top < node) return c;  // c does not depend on the node
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{top});
  std::vector<char> affected(top + 1, 0);
  std::vector<Var> clone(top + 1);
  std::vector<Var> in;
  for (std::size_t id = node; id <= top; ++id) {
    if (!anc[id]) continue;
    if (id == node) {
      affected[id] = 1;
      clone[id] = state;
      continue;
    }
    for (std::size_t i : g.inputs(id)) affected[id] |= affected[i];
    if (!affected[id]) continue;
    if (is_frozen_box(g, id)) {  // value 1 whatever the state
      clone[id] = g.constant(Tensor(g.shape(id), 1.0));
      continue;
    }
    in.clear();
    for (std::size_t i : g.inputs(id)) in.push_back(affected[i] ? clone[i] : g.var(i));
    clone[id] = g.apply(g.shared_op(id), in);
  }
  return affected[top] ? clone[top] : c;
}

/// Throws unless no other choice lies between `node` and the cost (enumerating the node's
/// states would change their distributions).
void require_no_downstream_choice(Graph& g, const Dependencies& deps, std::size_t node, const std::string& who) {
  std::vector<char> below(deps.top() + 1, 0);
  below[node] = 1;
  for (std::size_t id = node + 1; id <= deps.top(); ++id) {
    if (!deps.ancestor(id)) continue;
    for (std::size_t i : g.inputs(id)) below[id] |= below[i];
    if (below[id] && deps.is_choice(id))
      throw Error("grad: " + who + " for " + g.describe(node) + ": the choice " + g.describe(id) +
                  " depends on it, so its states cannot be enumerated with the others held fixed");
  }
}

}  // namespace

Var estimator_terms(Graph& g, const Var& surrogate, const Dependencies& deps, Surrogate& builder,
                    const GradOptions& options, std::vector<std::size_t>& handled) {
  std::vector<std::pair<std::size_t, Estimator>> chosen;
  for (const auto& [node, est] : options.estimators)
    if (est == Estimator::kDisarm || est == Estimator::kEnumerate) chosen.emplace_back(node.id(), est);
  if (chosen.empty()) return {};
  Var extra;
  auto add_term = [&](const Var& x) { extra = extra.empty() ? x : extra + x; };
  for (const auto& [s, est] : chosen) {
    const std::string who = est == Estimator::kDisarm ? "Estimator::kDisarm" : "Estimator::kEnumerate";
    if (!deps.is_choice(s)) continue;  // the cost does not depend on it: nothing to estimate
    if (builder.full_somewhere(s))
      throw Error("grad: " + who + " for " + g.describe(s) + ": it reaches the cost through ops that mix rows; "
                  "it needs each row's cost to depend on that row's choice only");
    handled.push_back(s);
    const Var node = g.var(s), logits = g.var(g.inputs(s)[0]);
    const Var rho = builder.rho(s);
    // c: per row, the cost that multiplies this choice's score (d surrogate / d rho).
    const Var c = stop_gradient(reverse_mode(surrogate, g.constant(1.0), {rho},
                                             [](const Var& a, const Var& b) { return a + b; })[0]);
    // The score term c d rho is cancelled exactly (a baseline equal to c) ...
    add_term(sum((1.0 - magic_box(rho)) * c));
    // ... and replaced.
    const std::string kind = g.op(s)->name();
    if (est == Estimator::kDisarm) {
      if (kind != "bernoulli_pairs")
        throw Error("grad: Estimator::kDisarm for " + g.describe(s) + ", which is not a bernoulli_pairs node");
      // Per pair (a, b) = (2i, 2i+1) and element j, d E[c_a + c_b] / d l_j is estimated by
      // (c_a - c_b) (-1)^(z_b,j) [z_a,j != z_b,j] sigmoid(|l_j|), half on each row's logit.
      const Var za = pair_mix(node, 1, 0, 1, 0), zb = pair_mix(node, 0, 1, 0, 1);
      const Var w = (1.0 - 2.0 * zb) * abs(za - zb) * sigmoid(abs(logits));
      const Var G = stop_gradient(0.5 * pair_mix(c, 1, -1, 1, -1) * w);
      add_term(sum(G * logits));
      continue;
    }
    // Enumeration: sum over the node's states of d p(state) times the row cost at that state.
    require_no_downstream_choice(g, deps, s, who);
    const Shape shape = g.shape(s);
    const bool categorical = kind == "categorical";
    if (!categorical && kind != "bernoulli")
      throw Error("grad: Estimator::kEnumerate for " + g.describe(s) + ": bernoulli and categorical nodes only");
    const double evaluations = categorical ? static_cast<double>(shape.cols) : 2.0 * static_cast<double>(shape.cols);
    if (evaluations > options.max_enumerated)
      throw Error("grad: Estimator::kEnumerate for " + g.describe(s) + " needs " + std::to_string(static_cast<long>(evaluations)) +
                  " evaluations of the cost per run, above GradOptions::max_enumerated (" +
                  std::to_string(static_cast<long>(options.max_enumerated)) + ")");
    if (categorical) {
      const Var p = softmax(logits);
      for (Eigen::Index k = 0; k < shape.cols; ++k) {
        Tensor state(shape);
        state.matrix().col(k).setOnes();
        const Var f = stop_gradient(clone_with(g, c, s, g.constant(state)));
        add_term(sum(f * slice_cols(p, k, 1)));
      }
      continue;
    }
    const Var p1 = sigmoid(logits), p0 = sigmoid(-logits);
    for (Eigen::Index j = 0; j < shape.cols; ++j) {
      Tensor mask(shape);
      mask.matrix().col(j).setOnes();
      const Var m = g.constant(mask);
      for (int v = 0; v < 2; ++v) {
        const Var state = where(m, g.constant(Tensor(shape, static_cast<double>(v))), node);
        const Var f = stop_gradient(clone_with(g, c, s, state));
        add_term(sum(f * slice_cols(v ? p1 : p0, j, 1)));
      }
    }
  }
  return extra;
}

}  // namespace scg::detail
