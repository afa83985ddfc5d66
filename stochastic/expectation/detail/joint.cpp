// The joint reference: the whole affected graph cloned once per joint state of the choices,
// each clone weighted by the probability of its state.
#include "scg/stochastic/expectation/detail/joint.hpp"

#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/expectation/detail/choices.hpp"
#include "scg/stochastic/grad/detail/below.hpp"

namespace scg::detail {

Var expectation_joint(const Var& cost, const ExpectationOptions& options) {
  Graph& g = cost.graph();
  const std::size_t top = cost.id();
  std::vector<char> variable(top + 1, 0);
  double total = 1.0;
  std::size_t n_choices = 0;
  const std::vector<char> affected = sweep_below(
      g, g.ancestors(std::vector<std::size_t>{top}), 0, top, [&](std::size_t id, bool reads) {
        const bool below = reads || is_frozen_box(g, id);
        if (below && is_black_box(g.op(id))) refuse_black_box(g, id);
        if (!is_variable(g, id, options)) return below;
        variable[id] = 1;
        ++n_choices;
        total *= static_cast<const Distribution*>(g.op(id))->state_count(g.shape(id));
        return true;
      });
  if (total > options.max_states)
    throw Error("expectation: " + std::to_string(n_choices) + " discrete choices have " +
                count_str(total) + " joint states, above the limit of " +
                count_str(options.max_states) + " (ExpectationOptions::max_states)" +
                (cost.shape().scalar()
                     ? std::string()
                     : "; a cost of " + cost.shape().str() +
                           " is enumerated jointly: sum it to 1x1 so that expectation "
                           "eliminates one factor at a time (and per row, where rows are "
                           "independent)"));
  g.mark_cost(top);
  if (!affected[top]) return cost;
  const auto states = static_cast<std::size_t>(total);
  Var result;
  for (std::size_t k = 0; k < states; ++k) {
    std::size_t index = k;
    Var logp;
    const Var at =
        clone_below(g, affected, 0, top, [&](std::size_t id, const std::vector<Var>& in) {
          if (!variable[id]) return Var();
          const auto* op = static_cast<const Distribution*>(g.op(id));
          const auto radix = static_cast<std::size_t>(op->state_count(g.shape(id)));
          Tensor value(g.shape(id));
          op->state(index % radix, value);
          index /= radix;
          const Var c = g.constant(std::move(value));
          const Var lp = sum(op->log_prob(in, c));
          logp = logp.empty() ? lp : logp + lp;
          return c;
        });
    const Var term = logp.empty() ? at : exp(logp) * at;
    result = result.empty() ? term : result + term;
  }
  return result;
}

}  // namespace scg::detail
