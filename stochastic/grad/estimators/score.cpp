// Estimator::kScore: the score function (REINFORCE) with MagicBox, the surrogate's own terms:
// unbiased at every order. Applies to every distribution; on a pathwise one (normal) grad
// treats the node as a score-function choice and blocks its sample path.
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {

const EstimatorRule& score_rule() {
  static const EstimatorRule rule{Estimator::kScore, "kScore",
                                  [](const DistributionTraits&) { return std::string(); }, 0,
                                  nullptr};
  return rule;
}

}  // namespace scg::detail
