// expectation: E[cost] = sum over the joint states of the discrete ancestors of
// p(state) cost(state), by cloning the part of the graph the choices affect once per state.
// MagicBox nodes built by grad are frozen in the clones (constant 1): a node built by grad is
// a function of the parameters and the choices it read, and its expectation differentiates as
// such (docs/higher_order.md).
#include "expectation.hpp"

#include "../core/distribution.hpp"
#include "../core/error.hpp"
#include "../ops/ops.hpp"
#include "dependencies.hpp"

namespace scg {

Var expectation(const Var& cost, const ExpectationOptions& options) {
  if (cost.empty()) throw Error("expectation: the cost is an empty Var");
  if (!(options.max_states >= 1.0))
    throw Error("expectation: ExpectationOptions::max_states is " + std::to_string(options.max_states) +
                "; it must be a number >= 1");
  Graph& g = cost.graph();
  const std::size_t top = cost.id();
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{top});
  std::vector<char> affected(top + 1, 0);
  double total = 1.0;
  std::size_t n_choices = 0;
  for (std::size_t id = 0; id <= top; ++id) {
    if (!anc[id]) continue;
    for (std::size_t in : g.inputs(id)) affected[id] |= affected[in];
    if (detail::is_frozen_box(g, id)) affected[id] = 1;
    if (affected[id] && detail::is_black_box(g.op(id)))
      throw Error("expectation: " + g.describe(id) + " is a black_box cost of random choices; its value comes from "
                  "outside the graph, so it cannot be evaluated at their other states (use grad's estimators)");
    const auto* op = dynamic_cast<const Distribution*>(g.op(id));
    if (!op) continue;
    if (op->support() != Support::kFinite)
      throw Error("expectation: " + g.describe(id) + " is " +
                  (op->support() == Support::kContinuous ? "continuous" : "discrete with infinite support") +
                  "; expectation enumerates choices with finitely many states only");
    affected[id] = 1;
    ++n_choices;
    total *= op->state_count(g.shape(id));
  }
  if (total > options.max_states)
    throw Error("expectation: " + std::to_string(n_choices) + " discrete choices have " +
                (total < 1e18 ? std::to_string(static_cast<long long>(total)) : std::to_string(total)) +
                " joint states, above the limit of " + std::to_string(static_cast<long long>(options.max_states)) +
                " (ExpectationOptions::max_states)");
  g.mark_cost(top);
  if (!affected[top]) return cost;
  const auto states = static_cast<std::size_t>(total);
  std::vector<Var> clone(top + 1);
  Var result;
  for (std::size_t k = 0; k < states; ++k) {
    std::size_t index = k;
    Var logp;
    for (std::size_t id = 0; id <= top; ++id) {
      if (!anc[id]) continue;
      if (!affected[id]) {
        clone[id] = g.var(id);
        continue;
      }
      if (detail::is_frozen_box(g, id)) {
        clone[id] = g.constant(Tensor(g.shape(id), 1.0));
        continue;
      }
      std::vector<Var> in;
      for (std::size_t i : g.inputs(id)) in.push_back(clone[i]);
      if (const auto* op = dynamic_cast<const Distribution*>(g.op(id))) {
        const Shape shape = g.shape(id);
        const auto radix = static_cast<std::size_t>(op->state_count(shape));
        Tensor value(shape);
        op->state(index % radix, value);
        index /= radix;
        clone[id] = g.constant(std::move(value));
        const Var lp = sum(op->log_prob(in, clone[id]));
        logp = logp.empty() ? lp : logp + lp;
      } else {
        clone[id] = g.apply(g.shared_op(id), in);
      }
    }
    const Var term = logp.empty() ? clone[top] : exp(logp) * clone[top];
    result = result.empty() ? term : result + term;
  }
  return result;
}

}  // namespace scg
