// exponential(rate l): x = -log(u) / l. Pathwise: d/dl = -g x / l. Continuous.
// log p(x) = log l - l x. H = 1 - log l; KL(q || p) = log(l_q / l_p) + l_p / l_q - 1.
#include <boost/random/exponential_distribution.hpp>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Exponential {
  static constexpr const char* kName = "exponential";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_positive(l, kName, "rate", ctx);
    boost::random::exponential_distribution<double> e01(1.0);
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r) out(r, c) = e01(engine) / l(r, c);
  }
  std::vector<Var> grad(std::span<const Var> in, const Var& x, const Var& g) const {
    return {-(g * x / in[0])};
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_elements(v, kName, ">= 0", ctx, [](double x, auto, auto) { return x >= 0.0; });
  }
  Var log_prob(std::span<const Var> p, const Var& x) const { return log(p[0]) - p[0] * x; }
  Var entropy(std::span<const Var> p) const { return 1.0 - log(p[0]); }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    return log(q[0] / p[0]) + p[0] / q[0] - 1.0;
  }
};
}  // namespace

Var exponential(const Var& rate) {
  return detail::make_shared_op<detail::DistributionOp<Exponential>>({rate});
}
}  // namespace scg
