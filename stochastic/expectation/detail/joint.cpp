// The joint reference: the whole affected graph cloned once per joint state of the choices,
// each clone weighted by the probability of its state.
#include "scg/stochastic/expectation/detail/joint.hpp"

#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/expectation/detail/choices.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"

namespace scg::detail {

Var expectation_joint(const Var& cost, const ExpectationOptions& options) {
  Graph& g = cost.graph();
  const std::size_t top = cost.id();
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{top});
  std::vector<char> affected(top + 1, 0), variable(top + 1, 0);
  double total = 1.0;
  std::size_t n_choices = 0;
  for (std::size_t id = 0; id <= top; ++id) {
    if (!anc[id]) continue;
    for (std::size_t in : g.inputs(id)) affected[id] |= affected[in];
    if (is_frozen_box(g, id)) affected[id] = 1;
    if (affected[id] && is_black_box(g.op(id))) refuse_black_box(g, id);
    if (!is_variable(g, id, options)) continue;
    variable[id] = affected[id] = 1;
    ++n_choices;
    total *= static_cast<const Distribution*>(g.op(id))->state_count(g.shape(id));
  }
  if (total > options.max_states)
    throw Error("expectation: " + std::to_string(n_choices) + " discrete choices have " +
                count_str(total) + " joint states, above the limit of " +
                count_str(options.max_states) + " (ExpectationOptions::max_states)");
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
      if (is_frozen_box(g, id)) {
        clone[id] = g.constant(Tensor(g.shape(id), 1.0));
        continue;
      }
      std::vector<Var> in;
      for (std::size_t i : g.inputs(id)) in.push_back(clone[i]);
      if (variable[id]) {
        const auto* op = static_cast<const Distribution*>(g.op(id));
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

}  // namespace scg::detail
