// grad: the gradient of an expected cost as a graph transformation, in three steps:
//   1. the dependency analysis (dependencies.cpp): which choices each node depends on;
//   2. the MagicBox surrogate (surrogate.cpp), plus baseline terms (baselines.cpp);
//   3. plain reverse mode of the surrogate (core/reverse.cpp); its nodes are derived.
#include "grad.hpp"

#include "../core/error.hpp"
#include "../core/reverse.hpp"
#include "../ops/ops.hpp"
#include "baselines.hpp"
#include "dependencies.hpp"
#include "distributions.hpp"
#include "surrogate.hpp"

namespace scg {

std::vector<Var> grad(const Var& cost, const std::vector<Var>& wrt, const GradOptions& options) {
  if (cost.empty()) throw Error("grad: the cost is an empty Var");
  if (!cost.shape().scalar())
    throw ShapeError("grad: the cost " + cost.describe() + " must be 1x1 (reduce it with sum or mean)");
  Graph& g = cost.graph();
  for (const Var& w : wrt) g.check_own(w, "grad", "a wrt entry");
  for (const auto& [s, b] : options.learned) {
    g.check_own(s, "grad", "a learned baseline's stochastic node");
    g.check_own(b, "grad", "a learned baseline's node");
    if (!stochastic_op(s)) throw Error("grad: learned baseline for " + s.describe() + ", which is not a stochastic node");
  }
  g.mark_cost(cost.id());
  const bool any_baseline = options.baseline != Baseline::kNone || !options.learned.empty();
  const detail::Dependencies deps(g, cost.id());
  detail::Surrogate builder(g, deps, any_baseline);
  builder.prepare_log_probs();
  Graph::DerivedScope derived(g);
  Var surrogate = builder.transform(cost);
  if (any_baseline) {
    const Var extra = detail::baseline_terms(g, surrogate, deps.of(cost.id()), builder, options);
    if (!extra.empty()) surrogate = surrogate + extra;
  }
  return reverse_mode(surrogate, g.constant(1.0), wrt,
                      [](const Var& a, const Var& b) { return a + b; });
}

}  // namespace scg
