// Baselines for grad's score terms (see baselines.hpp).
#include "scg/stochastic/grad/detail/baselines.hpp"

#include "scg/core/error.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/below.hpp"
#include "scg/stochastic/grad/detail/vimco.hpp"

namespace scg::detail {
namespace {

// The learned baseline b as its regression loss sees it: every node that b and the cost both
// read (a model parameter, a shared trunk) held constant, so (cost - b)^2 trains only the
// baseline's own parameters and never moves the expectation's gradient. What the cost reads
// is closed under inputs, so it is enough to cut the edges from it into b's own nodes.
Var own_part(Graph& g, const Var& b, const std::vector<char>& cost_anc) {
  const std::size_t top = b.id();
  auto shared = [&](std::size_t id) { return id < cost_anc.size() && cost_anc[id]; };
  if (shared(top)) return stop_gradient(b);  // b is itself part of the model
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{top});
  std::vector<char> boundary(top + 1, 0);  // shared nodes read by b's own nodes
  for (std::size_t id = 0; id <= top; ++id)
    if (anc[id] && !shared(id))
      for (std::size_t i : g.inputs(id)) boundary[i] = boundary[i] || shared(i);
  const std::vector<char> below = sweep_below(g, anc, 0, top, [&](std::size_t id, bool reads) {
    return shared(id) ? boundary[id] : reads;
  });
  if (!below[top]) return b;
  return clone_below(g, below, 0, top, [&](std::size_t id, const std::vector<Var>&) {
    return shared(id) ? stop_gradient(g.var(id)) : Var();
  });
}

}  // namespace

Var baseline_terms(Graph& g, const Var& surrogate, const std::vector<Dep>& choices,
                   Surrogate& builder, const Dependencies& deps, const GradOptions& options,
                   const std::vector<char>& cost_ancestors) {
  if (choices.empty()) return {};
  // c_s = d surrogate / d rho_s: per row, the part of the cost that multiplies s's score.
  std::vector<Var> rhos;
  for (const Dep& d : choices) rhos.push_back(builder.rho(d.choice));
  const std::vector<Var> coeffs = score_coefficients(surrogate, rhos);
  Var extra;
  auto add_term = [&](const Var& x) { extra = extra.empty() ? x : extra + x; };
  for (std::size_t k = 0; k < choices.size(); ++k) {
    const std::size_t s = choices[k].choice;
    const Var rho = rhos[k];
    const Var c = stop_gradient(coeffs[k]);
    Var b;
    for (const auto& [node, base] : options.learned)
      if (node.id() == s) b = base;
    if (!b.empty()) {
      if (!(b.shape().scalar() || b.shape() == rho.shape()))
        throw ShapeError("grad: learned baseline " + b.describe() + " for " + g.describe(s) +
                         " must be 1x1 or " + rho.shape().str());
      if (const auto anc = g.ancestors(std::vector<std::size_t>{b.id()}); s < anc.size() && anc[s])
        throw Error("grad: learned baseline " + b.describe() + " depends on the choice " +
                    g.describe(s) + " it is a baseline for; that would bias the estimate");
      // Trains the baseline's own parameters through this same grad.
      add_term(sum(square(c - own_part(g, b, cost_ancestors))));
      b = stop_gradient(b);
    } else if (options.baseline == Baseline::kMovingAverage) {
      b = moving_average(c, options.decay);
    } else if (options.baseline == Baseline::kVimco) {
      add_term(vimco_term(g, surrogate, s, builder, deps));
      continue;
    } else if (options.baseline == Baseline::kLeaveOneOut) {
      const Eigen::Index rows = rho.rows();
      const Eigen::Index k_rows =
          options.group_size == 0 ? rows : static_cast<Eigen::Index>(options.group_size);
      if (builder.full_somewhere(s))
        throw Error("grad: leave-one-out baseline for " + g.describe(s) +
                    ": it reaches the cost through ops that mix rows, so the other rows' "
                    "costs depend on this row's choice");
      if (builder.grouped_somewhere(s))
        throw Error("grad: leave-one-out baseline for " + g.describe(s) +
                    ": it reaches the cost through log_mean_exp groups (or a reshape merging "
                    "rows), so the other samples' costs (their group's bound) depend on this "
                    "sample; use Baseline::kVimco");
      if (k_rows < 2 || rows % k_rows != 0)
        throw Error("grad: leave-one-out baseline for " + g.describe(s) +
                    " needs groups of at "
                    "least 2 rows dividing its " +
                    std::to_string(rows) + " rows (group size " + std::to_string(k_rows) + ")");
      const Var group = k_rows == rows ? broadcast_to(sum(c), c.shape()) : group_sum(c, k_rows);
      b = (group - c) / static_cast<double>(k_rows - 1);
    } else {
      continue;
    }
    // Live boxes: Mao et al.'s form (1 - box(rho_s)) box(tau_<s) b, tau_<s the log-probability
    // of the choices s's distribution depends on: the same first derivative, and at the next
    // order the baseline also meets the products of s's score with the earlier scores.
    // With GradOptions::lambda < 1 the earlier scores are discounted as in the cost's weights.
    if (builder.live()) {
      const Var prior = builder.before(s);
      const Var own = (1.0 - builder.box(rho)) * b;
      add_term(sum(prior.empty() ? own : own * builder.box(prior)));
    } else {
      add_term(score_cancelling(rho, b));
    }
  }
  return extra;
}

}  // namespace scg::detail
