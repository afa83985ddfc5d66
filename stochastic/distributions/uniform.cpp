// uniform(lo, hi): x = lo + (hi - lo) u. Pathwise: d/dlo = g (hi - x) / (hi - lo),
// d/dhi = g (x - lo) / (hi - lo). Continuous. log p(x) = -log(hi - lo) (x's shape).
// H = log(hi - lo); KL(q || p) = log((hi_p - lo_p) / (hi_q - lo_q)) where q's interval lies in
// p's, else infinite (so a run reports it as a non-finite value, naming the node).
#include <boost/random/uniform_01.hpp>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Uniform {
  static constexpr const char* kName = "uniform";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor &lo = *in[0], &hi = *in[1];
    detail::require_finite(lo, kName, "lo", ctx);
    detail::require_finite(hi, kName, "hi", ctx);
    boost::random::uniform_01<double> u;
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r) {
        const double a = detail::at(lo, r, c), b = detail::at(hi, r, c);
        if (!(a < b))
          ctx.fail("uniform: lo (" + std::to_string(a) + ") must be below hi (" +
                   std::to_string(b) + ")");
        out(r, c) = a + (b - a) * u(engine);
      }
  }
  std::vector<Var> grad(std::span<const Var> in, const Var& x, const Var& g) const {
    const Var &lo = in[0], &hi = in[1], w = hi - lo;
    return {sum_to(g * (hi - x) / w, lo.shape()), sum_to(g * (x - lo) / w, hi.shape())};
  }
  void check(std::span<const Tensor* const> p, const Tensor& v, const RunContext& ctx) const {
    detail::check_elements(v, kName, "within [lo, hi]", ctx,
                           [&](double x, Eigen::Index r, Eigen::Index c) {
                             return x >= detail::at(*p[0], r, c) && x <= detail::at(*p[1], r, c);
                           });
  }
  Var log_prob(std::span<const Var> p, const Var& x) const {
    return broadcast_to(-log(p[1] - p[0]), x.shape());
  }
  Var entropy(std::span<const Var> p) const {
    return broadcast_to(log(p[1] - p[0]), detail::value_shape(p));
  }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    // [lo_q, hi_q] inside [lo_p, hi_p]: 1, else 0 (then -log 0 = inf).
    const Var inside = (1.0 - step(p[0] - q[0])) * (1.0 - step(q[1] - p[1]));
    return log((p[1] - p[0]) / (q[1] - q[0])) - log(inside);
  }
};
}  // namespace

Var uniform(const Var& lo, const Var& hi) {
  return detail::make_shared_op<detail::DistributionOp<Uniform>>({lo, hi});
}
}  // namespace scg
