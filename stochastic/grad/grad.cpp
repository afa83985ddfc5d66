// grad: the gradient of an expected cost as a graph transformation, in three steps:
//   1. the dependency analysis (dependencies.cpp): which choices each node depends on;
//   2. the MagicBox surrogate (surrogate.cpp), plus baseline terms (baselines.cpp);
//   3. plain reverse mode of the surrogate (core/reverse.cpp); its nodes are derived.
// MagicBox nodes of earlier grads are frozen in step 3 (derivative 0; see dependencies.hpp),
// and so is the sample path of a pathwise node given the score estimator.
#include "scg/stochastic/grad/grad.hpp"

#include <cmath>

#include "scg/core/error.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/stochastic/distributions/distributions.hpp"
#include "scg/stochastic/grad/detail/baselines.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/detail/estimators.hpp"
#include "scg/stochastic/grad/detail/surrogate.hpp"

namespace scg {

namespace {
void check_options(Graph& g, const GradOptions& options, std::vector<std::size_t>& score_nodes) {
  if (!(options.max_enumerated >= 1.0))
    throw Error("grad: GradOptions::max_enumerated is " + std::to_string(options.max_enumerated) +
                "; it must be >= 1");
  if (!(options.decay >= 0.0 && options.decay < 1.0))
    throw Error("grad: GradOptions::decay is " + std::to_string(options.decay) +
                "; the moving average needs a decay in [0, 1)");
  for (const auto& [s, b] : options.learned) {
    g.check_own(s, "grad", "a learned baseline's stochastic node");
    g.check_own(b, "grad", "a learned baseline's node");
    if (!stochastic_op(s))
      throw Error("grad: learned baseline for " + s.describe() +
                  ", which is not a stochastic node");
  }
  for (const ControlVariate& cv : options.control_variates) {
    g.check_own(cv.node, "grad", "a control variate's node");
    if (!cv.build)
      throw Error("grad: the control variate for " + cv.node.describe() + " has no builder");
    if (!(cv.temperature > 0.0 && std::isfinite(cv.temperature)))
      throw Error("grad: the control variate for " + cv.node.describe() + " has temperature " +
                  std::to_string(cv.temperature) + "; it must be finite and > 0");
  }
  for (const auto& [node, estimator] : options.estimators) {
    g.check_own(node, "grad", "a GradOptions::estimators node");
    const Distribution* d = stochastic_op(node);
    if (!d)
      throw Error("grad: estimator for " + node.describe() + ", which is not a stochastic node");
    switch (estimator) {
      case Estimator::kScore:
        if (d->gradient_path() == GradientPath::kPathwise) score_nodes.push_back(node.id());
        break;
      case Estimator::kPathwise:
        if (d->gradient_path() != GradientPath::kPathwise)
          throw Error("grad: Estimator::kPathwise for " + node.describe() +
                      ", whose samples are not differentiable in its parameters");
        break;
      case Estimator::kRelax:
      case Estimator::kDisarm:
      case Estimator::kEnumerate:
        if (d->gradient_path() != GradientPath::kScore || d->support() != Support::kFinite)
          throw Error(std::string("grad: Estimator::") +
                      (estimator == Estimator::kDisarm      ? "kDisarm"
                       : estimator == Estimator::kEnumerate ? "kEnumerate"
                                                            : "kRelax") +
                      " for " + node.describe() + ": discrete nodes only");
        break;
    }
  }
}
}  // namespace

std::vector<Var> grad(const Var& cost, const std::vector<Var>& wrt, const GradOptions& options) {
  if (cost.empty()) throw Error("grad: the cost is an empty Var");
  if (!cost.shape().scalar())
    throw ShapeError("grad: the cost " + cost.describe() +
                     " must be 1x1 (reduce it with sum or mean)");
  Graph& g = cost.graph();
  for (const Var& w : wrt) g.check_own(w, "grad", "a wrt entry");
  std::vector<std::size_t> score_nodes;
  check_options(g, options, score_nodes);
  g.mark_cost(cost.id());
  const std::size_t fresh = g.size();  // nodes from here on are this grad's own
  const bool any_baseline = options.baseline != Baseline::kNone || !options.learned.empty();
  const detail::Dependencies deps(g, cost.id(), score_nodes);
  detail::Surrogate builder(g, deps, any_baseline);
  builder.prepare_log_probs();
  Graph::DerivedScope derived(g);
  Var surrogate = builder.transform(cost);
  std::vector<std::size_t> handled;  // nodes with their own estimator: no baseline
  const Var estimators = detail::estimator_terms(g, surrogate, deps, builder, options, handled);
  if (any_baseline) {
    std::vector<detail::Dep> rest;
    for (const detail::Dep& d : deps.list(cost.id()))
      if (std::find(handled.begin(), handled.end(), d.choice) == handled.end()) rest.push_back(d);
    const Var extra = detail::baseline_terms(g, surrogate, rest, builder, options);
    if (!extra.empty()) surrogate = surrogate + extra;
  }
  if (!estimators.empty()) surrogate = surrogate + estimators;
  // A wrt the transform rebuilt is differentiated through its rebuilt node (same value), so
  // d cost / d cost is 1, not 0, when the cost depends on choices.
  std::vector<Var> targets;
  targets.reserve(wrt.size());
  for (const Var& w : wrt) targets.push_back(builder.transformed(w));
  const auto blocked = [&](std::size_t id) {
    if (id >= fresh) return false;
    return detail::is_frozen_box(g, id) ||
           std::find(score_nodes.begin(), score_nodes.end(), id) != score_nodes.end();
  };
  return reverse_mode(
      surrogate, g.constant(1.0), targets, [](const Var& a, const Var& b) { return a + b; },
      blocked);
}

}  // namespace scg
