// gamma(shape a, rate b): x = z / b, z ~ Gamma(a, 1); for a < 1 drawn in log space
// (gamma_draw.hpp). Samples are stored in [DBL_MIN, DBL_MAX], so that none is 0.
// Pathwise by implicit reparameterization: d/da = g dz/da / b (implicit.hpp), d/db = -g x / b.
// Continuous, x > 0. log p(x) = a log b + (a - 1) log x - b x - lgamma(a).
// H = a - log b + lgamma(a) + (1 - a) digamma(a);
// KL(q || p) = (a_q - a_p) digamma(a_q) - lgamma(a_q) + lgamma(a_p) + a_p (log b_q - log b_p)
//              + a_q (b_p - b_q) / b_q.
#include <boost/random/gamma_distribution.hpp>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/detail/gamma_draw.hpp"
#include "scg/stochastic/distributions/detail/implicit.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Gamma {
  static constexpr const char* kName = "gamma";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor &a = *in[0], &b = *in[1];
    detail::require_positive(a, kName, "shape", ctx);
    detail::require_positive(b, kName, "rate", ctx);
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r) {
        const double ar = detail::at(a, r, c), br = detail::at(b, r, c);
        const double x = ar >= 1.0 ? boost::random::gamma_distribution<double>(ar, 1.0)(engine) / br
                                   : std::exp(detail::log_gamma_draw(ar, engine) - std::log(br));
        out(r, c) = detail::positive(x);
      }
  }
  std::vector<Var> grad(std::span<const Var> in, const Var& x, const Var& g) const {
    const Var &a = in[0], &b = in[1];
    return {sum_to(g * detail::gamma_sample_grad(x, a, b), a.shape()),
            sum_to(-(g * x / b), b.shape())};
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_elements(v, kName, "> 0", ctx, [](double x, auto, auto) { return x > 0.0; });
  }
  Var log_prob(std::span<const Var> p, const Var& x) const {
    const Var &a = p[0], &b = p[1];
    return a * log(b) + (a - 1.0) * log(x) - b * x - lgamma(a);
  }
  Var entropy(std::span<const Var> p) const {
    const Var &a = p[0], &b = p[1];
    return a - log(b) + lgamma(a) + (1.0 - a) * digamma(a);
  }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    const Var &aq = q[0], &bq = q[1], &ap = p[0], &bp = p[1];
    return (aq - ap) * digamma(aq) - lgamma(aq) + lgamma(ap) + ap * (log(bq) - log(bp)) +
           aq * (bp - bq) / bq;
  }
};
}  // namespace

Var gamma(const Var& shape, const Var& rate) {
  return detail::make_shared_op<detail::DistributionOp<Gamma>>({shape, rate});
}
}  // namespace scg
