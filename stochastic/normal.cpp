// normal: x = mean + stddev * eps, eps ~ N(0, 1). Pathwise, continuous: d/dmean = g,
// d/dstddev = g (x - mean) / stddev (= g eps). log p(x) = -((x - mean)/stddev)^2 / 2
// - log stddev - log(2 pi) / 2.
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <numbers>

#include "distribution_op.hpp"
#include "distributions.hpp"

namespace scg {
namespace {
struct Normal {
  static constexpr const char* kName = "normal";
  static constexpr GradientPath kPath = GradientPath::kPathwise;
  static constexpr Support kSupport = Support::kContinuous;
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine, const RunContext& ctx) const {
    const Tensor& m = *in[0];
    const Tensor& s = *in[1];
    detail::require_finite(m, kName, "mean", ctx);
    detail::require_finite(s, kName, "stddev", ctx);
    if (!(s.matrix().minCoeff() > 0.0))
      ctx.fail("normal: stddev must be finite and > 0 (smallest is " +
               std::to_string(s.matrix().minCoeff()) + ")");
    boost::random::normal_distribution<double> n01;
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r) {
        const double mu = m(m.rows() == 1 ? 0 : r, m.cols() == 1 ? 0 : c);
        const double sd = s(s.rows() == 1 ? 0 : r, s.cols() == 1 ? 0 : c);
        out(r, c) = mu + sd * n01(engine);
      }
  }
  std::vector<Var> grad(std::span<const Var> in, const Var& out, const Var& g) const {
    const Var eps = (out - in[0]) / in[1];
    return {sum_to(g, in[0].shape()), sum_to(g * eps, in[1].shape())};
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
