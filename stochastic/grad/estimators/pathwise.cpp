// Estimator::kPathwise: the derivative along the sample (reparameterization), the surrogate's
// own terms; valid at every order the distribution's gradient rule is (implicit gamma and beta
// refuse a second derivative themselves).
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {

const EstimatorRule& pathwise_rule() {
  static const EstimatorRule rule{Estimator::kPathwise,
                                  "kPathwise",
                                  [](const DistributionTraits& d) {
                                    return d.path == GradientPath::kPathwise
                                               ? std::string()
                                               : std::string(
                                                     "its samples are not differentiable in its "
                                                     "parameters");
                                  },
                                  0,
                                  nullptr,
                                  true};
  return rule;
}

}  // namespace scg::detail
