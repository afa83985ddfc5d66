// poisson(rate l): x in {0, 1, 2, ...}. Score function; countable support (expectation refuses
// it: it cannot be enumerated). log p(x) = x log l - l - lgamma(x + 1).
// KL(q || p) = l_q log(l_q / l_p) - l_q + l_p; the entropy has no closed form.
#include <boost/random/poisson_distribution.hpp>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Poisson {
  static constexpr const char* kName = "poisson";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kScore,
                                              .support = Support::kCountable};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_positive(l, kName, "rate", ctx);
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r) {
        boost::random::poisson_distribution<long, double> x(l(r, c));
        out(r, c) = static_cast<double>(x(engine));
      }
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_elements(v, kName, "a count (an integer >= 0)", ctx,
                           [](double x, auto, auto) { return x >= 0.0 && x == std::floor(x); });
  }
  Var log_prob(std::span<const Var> p, const Var& x) const {
    return x * log(p[0]) - p[0] - lgamma(x + 1.0);
  }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    return q[0] * (log(q[0]) - log(p[0])) - q[0] + p[0];
  }
};
}  // namespace

Var poisson(const Var& rate) {
  return detail::make_shared_op<detail::DistributionOp<Poisson>>({rate});
}
}  // namespace scg
