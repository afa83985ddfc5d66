// laplace(loc, scale): x = loc + scale eps, eps ~ Laplace(0, 1). Pathwise (location-scale).
// log p(x) = -log(2 scale) - |x - loc| / scale. H = 1 + log(2 scale);
// KL(q || p) = log(s_p / s_q) + |m_q - m_p| / s_p + (s_q / s_p) e^(-|m_q - m_p| / s_q) - 1.
#include <boost/random/laplace_distribution.hpp>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Laplace {
  static constexpr const char* kName = "laplace";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor &m = *in[0], &s = *in[1];
    detail::require_finite(m, kName, "loc", ctx);
    detail::require_positive(s, kName, "scale", ctx);
    boost::random::laplace_distribution<double> eps(0.0, 1.0);
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r)
        out(r, c) = detail::at(m, r, c) + detail::at(s, r, c) * eps(engine);
  }
  std::vector<Var> grad(std::span<const Var> in, const Var& x, const Var& g) const {
    return detail::location_scale_grad(in[0], in[1], x, g);
  }
  Var log_prob(std::span<const Var> p, const Var& x) const {
    return -log(2.0 * p[1]) - abs(x - p[0]) / p[1];
  }
  Var entropy(std::span<const Var> p) const {
    return broadcast_to(1.0 + log(2.0 * p[1]), detail::value_shape(p));
  }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    const Var d = abs(q[0] - p[0]);
    return log(p[1] / q[1]) + d / p[1] + q[1] / p[1] * exp(-d / q[1]) - 1.0;
  }
};
}  // namespace

Var laplace(const Var& loc, const Var& scale) {
  return detail::make_shared_op<detail::DistributionOp<Laplace>>({loc, scale});
}
}  // namespace scg
