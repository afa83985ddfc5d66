// grad: the gradient of an expected cost as a graph transformation, in four steps:
//   1. the dependency analysis (detail/dependencies.cpp): which choices each node depends on;
//   2. the MagicBox surrogate (detail/surrogate.cpp);
//   3. the terms of the per-node estimators (estimators/, one rule each, looked up here) and the
//      baselines of the other score-function choices (detail/baselines.cpp);
//   4. plain reverse mode of the surrogate (core/reverse.cpp); its nodes are derived.
// MagicBox nodes of earlier grads are frozen in step 4 (derivative 0; see dependencies.hpp),
// and so is the sample path of a pathwise node given the score estimator.
#include "scg/stochastic/grad/grad.hpp"

#include <algorithm>
#include <cmath>

#include "scg/core/error.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/distributions/distributions.hpp"
#include "scg/stochastic/grad/detail/baselines.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"
#include "scg/stochastic/grad/detail/surrogate.hpp"

namespace scg {

std::string to_string(Estimator e) {
  for (const detail::EstimatorRule* r : detail::estimator_rules())
    if (r->estimator == e) return std::string("Estimator::") + r->name;
  return "Estimator(" + std::to_string(static_cast<int>(e)) + ")";
}

std::string to_string(Baseline b) {
  switch (b) {
    case Baseline::kNone:
      return "Baseline::kNone";
    case Baseline::kMovingAverage:
      return "Baseline::kMovingAverage";
    case Baseline::kLeaveOneOut:
      return "Baseline::kLeaveOneOut";
    case Baseline::kVimco:
      return "Baseline::kVimco";
  }
  return "Baseline(" + std::to_string(static_cast<int>(b)) + ")";
}

namespace {

void check_scalars(const GradOptions& options) {
  if (!(options.max_enumerated >= 1.0))
    throw Error("grad: GradOptions::max_enumerated is " + std::to_string(options.max_enumerated) +
                "; it must be >= 1");
  if (!(options.decay >= 0.0 && options.decay < 1.0))
    throw Error("grad: GradOptions::decay is " + std::to_string(options.decay) +
                "; the moving average needs a decay in [0, 1)");
  if (!(options.lambda >= 0.0 && options.lambda <= 1.0))
    throw Error("grad: GradOptions::lambda is " + std::to_string(options.lambda) +
                "; Loaded DiCE's discount must be in [0, 1] (1: DiCE)");
  if (options.lambda < 1.0 && !options.live_boxes)
    throw Error("grad: GradOptions::lambda is " + std::to_string(options.lambda) +
                " without GradOptions::live_boxes; its discounted weights act only where a later "
                "grad differentiates through the boxes: set live_boxes = true");
}

void check_baselines(Graph& g, const GradOptions& options) {
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
}

/// The rule of each GradOptions::estimators entry, checked against its node's distribution;
/// pathwise nodes given a score-function rule are appended to `score_nodes`.
// A pathwise node that a black_box lists reaches the cost through a value with no derivative
// along the sample: it gets score terms (as with Estimator::kScore), unless the options ask
// for kPathwise on it, which is refused.
void score_black_box_choices(
    const Graph& g, const Var& cost,
    const std::vector<std::pair<std::size_t, const detail::EstimatorRule*>>& rules,
    std::vector<std::size_t>& score_nodes) {
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{cost.id()});
  for (std::size_t id = 0; id <= cost.id(); ++id) {
    if (!anc[id] || g.kind(id) != NodeKind::kOp || !detail::is_black_box(g.op(id))) continue;
    const auto in = g.inputs(id);
    for (std::size_t k = 1; k < in.size(); ++k) {
      const auto* d = static_cast<const Distribution*>(g.op(in[k]));
      if (d->gradient_path() != GradientPath::kPathwise) continue;
      const auto set =
          std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r.first == in[k]; });
      if (set == rules.end()) {
        if (std::find(score_nodes.begin(), score_nodes.end(), in[k]) == score_nodes.end())
          score_nodes.push_back(in[k]);
      } else if (set->second->estimator == Estimator::kPathwise) {
        throw Error("grad: Estimator::kPathwise for " + g.describe(in[k]) +
                    ": the cost reaches it through " + g.describe(id) +
                    ", a black_box, which has no derivative along the sample (use "
                    "Estimator::kScore, the default for a node a black_box lists)");
      }
    }
  }
}

std::vector<std::pair<std::size_t, const detail::EstimatorRule*>> rules_of(
    Graph& g, const Var& cost, const GradOptions& options, std::vector<std::size_t>& score_nodes) {
  std::vector<std::pair<std::size_t, const detail::EstimatorRule*>> out;
  for (const auto& [node, estimator] : options.estimators) {
    g.check_own(node, "grad", "a GradOptions::estimators node");
    const Distribution* d = stochastic_op(node);
    if (!d)
      throw Error("grad: " + to_string(estimator) + " for " + node.describe() +
                  ", which is not a stochastic node");
    for (const auto& [id, r] : out)
      if (id == node.id())
        throw Error("grad: GradOptions::estimators lists " + node.describe() + " twice (" +
                    to_string(r->estimator) + " and " + to_string(estimator) + ")");
    const detail::EstimatorRule& rule = detail::estimator_rule(estimator);
    if (const std::string why = rule.refuses(d->distribution_traits()); !why.empty())
      throw Error("grad: " + to_string(estimator) + " for " + node.describe() + ": " + why);
    if (!rule.pathwise && d->gradient_path() == GradientPath::kPathwise)
      score_nodes.push_back(node.id());
    out.emplace_back(node.id(), &rule);
  }
  score_black_box_choices(g, cost, out, score_nodes);
  return out;
}

// A node drawn in antithetic pairs (bernoulli_pairs) left to the score estimator: its score
// terms use each row's marginal log-probability, which is right only where each row's cost
// depends on that row alone and no baseline reads the partner row's cost. Anything else is
// refused (the pair's joint law does not factor).
void check_pairs(const Graph& g, const detail::Dependencies& deps, const detail::Surrogate& builder,
                 const std::vector<std::size_t>& handled, const GradOptions& options) {
  for (const detail::Dep& d : deps.list(deps.top())) {
    const auto* dist = dynamic_cast<const Distribution*>(g.op(d.choice));
    if (!dist || !dist->distribution_traits().antithetic_pairs ||
        std::find(handled.begin(), handled.end(), d.choice) != handled.end())
      continue;
    const std::string who = "grad: the score estimator for " + g.describe(d.choice) +
                            ", whose rows are drawn in antithetic pairs";
    if (builder.full_somewhere(d.choice) || builder.grouped_somewhere(d.choice))
      throw Error(who +
                  ": it reaches the cost through ops that mix rows (or log_mean_exp groups), so a "
                  "pair's coupled rows would be weighted as if independent; keep each row's cost "
                  "to its own row, or use bernoulli for independent rows");
    const bool learned = std::any_of(options.learned.begin(), options.learned.end(),
                                     [&](const auto& l) { return l.first.id() == d.choice; });
    if (options.baseline == Baseline::kLeaveOneOut && !learned)
      throw Error(who +
                  ": Baseline::kLeaveOneOut would put the partner row's cost, which depends on "
                  "the same noise, into each row's baseline; use Estimator::kDisarm, "
                  "Baseline::kMovingAverage or a learned baseline");
  }
}

/// The choices inside the live boxes (GradOptions::live_boxes) of earlier grads that the cost
/// reads, as a mask by id (empty: none): a later grad treats them as given values, their
/// dependence carried by the boxes. One reverse sweep from the boxes' operands (not through
/// frozen boxes, as the dependency analysis).
std::vector<char> live_choices(const Graph& g, const Var& cost,
                               const std::vector<std::size_t>& score_nodes) {
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{cost.id()});
  std::vector<char> below(anc.size(), 0);
  bool any = false;
  for (std::size_t id = 0; id < anc.size(); ++id)
    if (anc[id] && g.kind(id) == NodeKind::kOp && g.derived(id) && detail::is_live_box(g.op(id)))
      below[g.inputs(id)[0]] = 1, any = true;
  if (!any) return {};
  std::vector<char> held(anc.size(), 0);
  for (std::size_t id = anc.size(); id-- > 0;) {
    if (!below[id]) continue;
    if (detail::is_score_choice(g, id, score_nodes)) held[id] = 1;
    if (g.kind(id) == NodeKind::kOp && !detail::is_frozen_box(g, id))
      for (std::size_t i : g.inputs(id)) below[i] = 1;
  }
  // A held choice may reach the cost only through the live estimates (derived nodes above a
  // live box): read anywhere else, it would get no score term. One sweep marks those nodes,
  // one walk from the cost stops at them.
  std::vector<char> inside(anc.size(), 0);
  for (std::size_t id = 0; id < anc.size(); ++id) {
    if (!anc[id] || g.kind(id) != NodeKind::kOp || !g.derived(id)) continue;
    bool in = detail::is_live_box(g.op(id));
    for (std::size_t i : g.inputs(id)) in = in || inside[i];
    inside[id] = in;
  }
  std::vector<char> seen(anc.size(), 0);
  std::vector<std::size_t> stack{cost.id()};
  while (!stack.empty()) {
    const std::size_t n = stack.back();
    stack.pop_back();
    if (seen[n] || inside[n]) continue;
    seen[n] = 1;
    if (held[n])
      throw Error("grad: " + g.describe(n) +
                  " is inside the live MagicBoxes of an earlier grad (GradOptions::live_boxes), "
                  "which this grad differentiates through with it held as given, and the cost " +
                  cost.describe() +
                  " also reads it outside that estimate, where it would get no score term; read "
                  "it only through the estimate, or build the earlier grad without live_boxes");
    for (std::size_t i : g.inputs(n)) stack.push_back(i);
  }
  return held;
}

}  // namespace

std::vector<Var> grad(const Var& cost, const std::vector<Var>& wrt, const GradOptions& options) {
  if (cost.empty()) throw Error("grad: the cost is an empty Var");
  if (!cost.shape().scalar())
    throw ShapeError("grad: the cost " + cost.describe() +
                     " must be 1x1 (reduce it with sum or mean)");
  Graph& g = cost.graph();
  for (const Var& w : wrt) g.check_own(w, "grad", "a wrt entry");
  check_scalars(options);
  check_baselines(g, options);
  std::vector<std::size_t> score_nodes;
  const auto rules = rules_of(g, cost, options, score_nodes);
  g.mark_cost(cost.id());
  const std::size_t fresh = g.size();  // nodes from here on are this grad's own
  const bool any_baseline = options.baseline != Baseline::kNone || !options.learned.empty();
  const detail::Dependencies deps(g, cost.id(), score_nodes, live_choices(g, cost, score_nodes));
  detail::Surrogate builder(g, deps, any_baseline, options.live_boxes, options.lambda);
  builder.prepare_log_probs();
  Graph::DerivedScope derived(g);
  Var surrogate = builder.transform(cost);
  // Per-node estimators: each rule's terms replace its node's score term (and baseline).
  detail::EstimatorContext ctx{g, surrogate, deps, builder, options};
  std::vector<std::size_t> handled;
  Var extra;
  for (const auto& [s, rule] : rules) {
    // The surrogate's own terms, or no cost reads it.
    if (!rule->terms || !(deps.is_choice(s) || (rule->pathwise && deps.ancestor(s)))) continue;
    handled.push_back(s);
    const Var t = rule->terms(ctx, s);
    extra = extra.empty() ? t : extra + t;
  }
  check_pairs(g, deps, builder, handled, options);
  if (any_baseline) {
    std::vector<detail::Dep> rest;
    for (const detail::Dep& d : deps.list(cost.id()))
      if (std::find(handled.begin(), handled.end(), d.choice) == handled.end()) rest.push_back(d);
    const Var b =
        detail::baseline_terms(g, surrogate, rest, builder, deps, options, deps.ancestors());
    if (!b.empty()) extra = extra.empty() ? b : extra + b;
  }
  if (!extra.empty()) surrogate = surrogate + extra;
  // A wrt the transform rebuilt is differentiated through its rebuilt node (same value), so
  // d cost / d cost is 1, not 0, when the cost depends on choices.
  std::vector<Var> targets;
  targets.reserve(wrt.size());
  for (const Var& w : wrt) targets.push_back(builder.transformed(w));
  const auto blocked = [&](std::size_t id) {
    if (id >= fresh) return false;
    // An earlier grad's boxes are frozen (derivative 0); live boxes are differentiated.
    return (g.derived(id) && detail::is_magic_box(g.op(id))) ||
           std::find(score_nodes.begin(), score_nodes.end(), id) != score_nodes.end();
  };
  return reverse_mode(
      surrogate, g.constant(1.0), targets, [](const Var& a, const Var& b) { return a + b; },
      blocked);
}

}  // namespace scg
