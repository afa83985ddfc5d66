// poisson(rate l): x in {0, 1, 2, ...}. Score function; countable support (expectation refuses
// it: it cannot be enumerated). log p(x) = x log l - l - lgamma(x + 1).
// Rates above 2^53 are refused: a count there is not exactly a double (neighbouring counts
// round together) and Boost.Random's sampler (PTRD, in double) overflows its 64-bit count at
// 2^63. KL(q || p) = l_q log(l_q / l_p) - l_q + l_p = l_p h(u), u = (l_q - l_p) / l_p,
// h(u) = (1 + u) log1p(u) - u, which cancels for nearby rates: below |u| = 0.05 it is the series
// sum_{n=2..14} (-1)^n u^n / (n (n - 1)) (truncation below 1e-18 relative), above it
// r log(r) - u with r = l_q / l_p (rounding about 4e-16 / |u| relative). The entropy has no
// closed form.
#include <boost/random/poisson_distribution.hpp>
#include <cfloat>
#include <cmath>
#include <string>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Poisson {
  static constexpr const char* kName = "poisson";
  static constexpr double kMaxRate = 0x1p53;
  static constexpr DistributionTraits kTraits{.path = GradientPath::kScore,
                                              .support = Support::kCountable};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_positive(l, kName, "rate", ctx);
    for (Eigen::Index c = 0; c < l.cols(); ++c)
      for (Eigen::Index r = 0; r < l.rows(); ++r)
        if (l(r, c) > kMaxRate)
          ctx.fail(std::string(kName) + ": rate (" + std::to_string(r) + ", " + std::to_string(c) +
                   ") is " + detail::number(l(r, c)) +
                   "; it must be at most 2^53 (9.007e15), where counts are still exact doubles");
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
    const Var u = (q[0] - p[0]) / p[0], r = q[0] / p[0];
    Var series = -1.0 / (13 * 12) + u / (14 * 13);  // Horner, n = 14 down to 2
    for (int n = 12; n >= 2; --n) series = (n % 2 ? -1.0 : 1.0) / (n * (n - 1)) + u * series;
    const Var direct = r * log(clamp(r, DBL_MIN, DBL_MAX)) - u;
    return p[0] * where(step(0.05 - abs(u)), square(u) * series, direct);
  }
};
}  // namespace

Var poisson(const Var& rate) {
  return detail::make_shared_op<detail::DistributionOp<Poisson>>({rate});
}
}  // namespace scg
