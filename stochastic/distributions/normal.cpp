// normal: x = mean + stddev * eps, eps ~ N(0, 1). Pathwise, continuous: d/dmean = g,
// d/dstddev = g (x - mean) / stddev (= g eps). log p(x) = -((x - mean)/stddev)^2 / 2
// - log stddev - log(2 pi) / 2.
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <numbers>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Normal {
  static constexpr const char* kName = "normal";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& m = *in[0];
    const Tensor& s = *in[1];
    detail::require_finite(m, kName, "mean", ctx);
    detail::require_positive(s, kName, "stddev", ctx);
    boost::random::normal_distribution<double> n01;
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r)
        out(r, c) = detail::at(m, r, c) + detail::at(s, r, c) * n01(engine);
  }
  std::vector<Var> grad(std::span<const Var> in, const Var& out, const Var& g) const {
    return detail::location_scale_grad(in[0], in[1], out, g);
  }
  // H = log(sd sqrt(2 pi e)); KL(q || p) = log(sd_p / sd_q) + (sd_q^2 + (m_q - m_p)^2) / (2 sd_p^2)
  // - 1/2.
  Var entropy(std::span<const Var> p) const {
    return broadcast_to(log(p[1]) + 0.5 * std::log(2.0 * std::numbers::pi * std::numbers::e),
                        detail::value_shape(p));
  }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    return log(p[1] / q[1]) + (square(q[1]) + square(q[0] - p[0])) / (2.0 * square(p[1])) - 0.5;
  }
  Var log_prob(std::span<const Var> params, const Var& x) const {
    const Var z = (x - params[0]) / params[1];
    return -0.5 * square(z) - log(params[1]) - 0.5 * std::log(2.0 * std::numbers::pi);
  }
};
}  // namespace

Var normal(const Var& mean, const Var& stddev) {
  return detail::make_shared_op<detail::DistributionOp<Normal>>({mean, stddev});
}
}  // namespace scg
