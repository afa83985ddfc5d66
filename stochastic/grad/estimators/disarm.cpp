// Estimator::kDisarm (Dong, Mnih and Tucker 2020) over the antithetic row pairs of a node with
// logits (bernoulli_pairs). Per pair (a, b) = (2i, 2i+1) and element j, d E[c_a + c_b] / d l_j
// is estimated by (c_a - c_b) (-1)^(z_b,j) [z_a,j != z_b,j] sigmoid(|l_j|), half on each row's
// logit; the node's score term is cancelled. First order.
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {
namespace {

Var disarm_terms(EstimatorContext& ctx, std::size_t s) {
  const std::string who = to_string(Estimator::kDisarm);
  ctx.require_row_local(s, who);
  const Var node = ctx.g.var(s), logits = ctx.g.var(ctx.g.inputs(s)[0]);
  const Var c = ctx.score_coefficient(s);
  const Var za = pair_mix(node, 1, 0, 1, 0), zb = pair_mix(node, 0, 1, 0, 1);
  const Var w = (1.0 - 2.0 * zb) * abs(za - zb) * sigmoid(abs(logits));
  const Var estimate = 0.5 * pair_mix(c, 1, -1, 1, -1) * w;
  return score_cancelling(ctx.builder.rho(s), c) + first_order_weighted(estimate, logits, who);
}

}  // namespace

const EstimatorRule& disarm_rule() {
  static const EstimatorRule rule{Estimator::kDisarm, "kDisarm",
                                  [](const DistributionTraits& d) {
                                    return d.antithetic_pairs && d.logits
                                               ? std::string()
                                               : std::string(
                                                     "it is not a bernoulli_pairs node (DisARM "
                                                     "needs rows drawn in antithetic pairs from "
                                                     "logits)");
                                  },
                                  1, disarm_terms};
  return rule;
}

}  // namespace scg::detail
