// beta(a, b): x in (0, 1), x = G_a / (G_a + G_b) from two Gamma draws; where a shape is below 1
// from the draws' logs, x = sigmoid(log G_a - log G_b) (gamma_draw.hpp), so that two draws
// that underflow do not make 0 / 0. Samples are stored in [DBL_MIN, 1 - 2^-53] (a double
// cannot hold a value nearer 1). Pathwise by implicit reparameterization (implicit.hpp).
// Continuous. log p(x) = (a - 1) log x + (b - 1) log(1 - x) - lbeta(a, b),
// lbeta = lgamma(a) + lgamma(b) - lgamma(a + b).
// H = lbeta - (a - 1) digamma(a) - (b - 1) digamma(b) + (a + b - 2) digamma(a + b);
// KL(q || p) = lbeta_p - lbeta_q + (a_q - a_p) digamma(a_q) + (b_q - b_p) digamma(b_q)
//              + (a_p - a_q + b_p - b_q) digamma(a_q + b_q).
#include <boost/random/gamma_distribution.hpp>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/detail/gamma_draw.hpp"
#include "scg/stochastic/distributions/detail/implicit.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
Var lbeta(const Var& a, const Var& b) { return lgamma(a) + lgamma(b) - lgamma(a + b); }

struct Beta {
  static constexpr const char* kName = "beta";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor &a = *in[0], &b = *in[1];
    detail::require_positive(a, kName, "a", ctx);
    detail::require_positive(b, kName, "b", ctx);
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r)
        out(r, c) =
            detail::in_unit_interval(draw(detail::at(a, r, c), detail::at(b, r, c), engine));
  }
  static double draw(double a, double b, Engine& engine) {
    if (a >= 1.0 && b >= 1.0) {  // as Boost.Random's beta_distribution
      const double x = boost::random::gamma_distribution<double>(a, 1.0)(engine);
      return x / (x + boost::random::gamma_distribution<double>(b, 1.0)(engine));
    }
    const double d = detail::log_gamma_draw(a, engine) - detail::log_gamma_draw(b, engine);
    return d >= 0.0 ? 1.0 / (1.0 + std::exp(-d)) : std::exp(d) / (1.0 + std::exp(d));
  }
  std::vector<Var> grad(std::span<const Var> in, const Var& x, const Var& g) const {
    const Var &a = in[0], &b = in[1];
    return {sum_to(g * detail::beta_sample_grad(x, a, b, 0), a.shape()),
            sum_to(g * detail::beta_sample_grad(x, a, b, 1), b.shape())};
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_elements(v, kName, "in (0, 1)", ctx,
                           [](double x, auto, auto) { return x > 0.0 && x < 1.0; });
  }
  Var log_prob(std::span<const Var> p, const Var& x) const {
    const Var &a = p[0], &b = p[1];
    return (a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - lbeta(a, b);
  }
  Var entropy(std::span<const Var> p) const {
    const Var &a = p[0], &b = p[1];
    return lbeta(a, b) - (a - 1.0) * digamma(a) - (b - 1.0) * digamma(b) +
           (a + b - 2.0) * digamma(a + b);
  }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    const Var &aq = q[0], &bq = q[1], &ap = p[0], &bp = p[1];
    return lbeta(ap, bp) - lbeta(aq, bq) + (aq - ap) * digamma(aq) + (bq - bp) * digamma(bq) +
           (ap - aq + bp - bq) * digamma(aq + bq);
  }
};
}  // namespace

Var beta(const Var& a, const Var& b) {
  return detail::make_shared_op<detail::DistributionOp<Beta>>({a, b});
}
}  // namespace scg
