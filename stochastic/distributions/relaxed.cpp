// Relaxations (pathwise, continuous, and biased for the discrete model they stand in for):
//   relaxed_bernoulli: binary Concrete (Maddison et al. 2017), y = sigmoid((l + L) / t) with
//     L = log u - log(1 - u) logistic noise. d/dl = g y (1 - y) / t.
//     log p(y) = log t + l - (t + 1)(log y + log(1 - y)) - 2 log(e^l y^-t + (1 - y)^-t), computed
//     from u = logit(y) = log y - log(1 - y) as log t + l - (1 + t) log y - (1 - t) log(1 - y)
//     - 2 softplus(l - t u) (finite for every y in the open interval). A double cannot hold y
//     nearer 1 than 1 - 2^-53 (logit 36.7): at low temperatures many samples round there (a
//     third at logit 3, t = 0.1), and at 1.0 the density would be infinite. So samples are stored
//     in [DBL_MIN, 1 - 2^-53], and log_prob reads a fed value in the closed [0, 1] (the check
//     accepts it) as the nearest double inside that interval: the ends are where samples that
//     rounded there are stored. log_prob is finite everywhere; its derivative in y is 0 at the
//     two clamp points (where y (1 - y) / t, the sample's own derivative, is at most 1e-16 / t).
//   relaxed_categorical: Gumbel-softmax (Jang et al. 2017), y = softmax((l + G) / t) per row,
//     G Gumbel noise. d/dl = (y (g - rowsum(g y))) / t. log p(y) (Concrete) =
//     lgamma(k) + (k - 1) log t + sum_i (l_i - (t + 1) log y_i) - k logsumexp_i(l_i - t log y_i).
// hard = true: the value is the discrete sample (y > 1/2; the row's argmax, one-hot) with the
// relaxed sample's gradient (straight-through).
#include <boost/random/uniform_01.hpp>
#include <cfloat>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct RelaxedBernoulli {
  static constexpr const char* kName = "relaxed_bernoulli";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  double t;
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_finite(l, kName, "logit", ctx);
    boost::random::uniform_01<double> u01;
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      for (Eigen::Index r = 0; r < out.rows(); ++r) {
        const double u = u01(engine);
        const double x = (l(r, c) + std::log(u) - std::log1p(-u)) / t;
        out(r, c) = detail::in_unit_interval(1.0 / (1.0 + std::exp(-x)));
      }
  }
  std::vector<Var> grad(std::span<const Var>, const Var& y, const Var& g) const {
    return {g * y * (1.0 - y) / t};
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_elements(v, kName, "in [0, 1]", ctx,
                           [](double x, auto, auto) { return x >= 0.0 && x <= 1.0; });
  }
  Var log_prob(std::span<const Var> p, const Var& y) const {
    const Var inside = clamp(y, DBL_MIN, 1.0 - DBL_EPSILON / 2);
    const Var &l = p[0], ly = log(inside), l1y = log1p(-inside);
    return std::log(t) + l - (1.0 + t) * ly - (1.0 - t) * l1y - 2.0 * softplus(l - t * (ly - l1y));
  }
};

struct RelaxedCategorical {
  static constexpr const char* kName = "relaxed_categorical";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kPathwise,
                                              .support = Support::kContinuous};
  double t;
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_finite(l, kName, "logit", ctx);
    boost::random::uniform_01<double> u01;
    for (Eigen::Index r = 0; r < out.rows(); ++r) {
      double m = -INFINITY;
      for (Eigen::Index c = 0; c < out.cols(); ++c) {
        double u = u01(engine);
        while (u == 0.0) u = u01(engine);
        out(r, c) = (l(r, c) - std::log(-std::log(u))) / t;
        m = std::max(m, out(r, c));
      }
      double s = 0.0;
      for (Eigen::Index c = 0; c < out.cols(); ++c) s += out(r, c) = std::exp(out(r, c) - m);
      out.matrix().row(r) /= s;
    }
  }
  std::vector<Var> grad(std::span<const Var>, const Var& y, const Var& g) const {
    return {y * (g - sum(g * y, 1)) / t};
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_elements(v, kName, "in [0, 1]", ctx,
                           [](double x, auto, auto) { return x >= 0.0 && x <= 1.0; });
    for (Eigen::Index r = 0; r < v.rows(); ++r)
      if (std::fabs(v.matrix().row(r).sum() - 1.0) > 1e-9)
        ctx.fail("relaxed_categorical: fed row " + std::to_string(r) + " does not sum to 1");
  }
  Var log_prob(std::span<const Var> p, const Var& y) const {
    const Var& l = p[0];
    const double k = static_cast<double>(l.cols());
    const Var ly = log(y);
    return std::lgamma(k) + (k - 1.0) * std::log(t) + sum(l - (t + 1.0) * ly, 1) -
           k * logsumexp(l - t * ly, 1);
  }
};

void check_temperature(double t, const Var& logits, const char* who) {
  if (!(t > 0.0 && std::isfinite(t)))
    throw Error(std::string(who) + "(" + logits.describe() + ", temperature " + std::to_string(t) +
                "): the temperature must be finite and > 0");
}
}  // namespace

Var relaxed_bernoulli(const Var& logits, double temperature, bool hard) {
  check_temperature(temperature, logits, "relaxed_bernoulli");
  const Var y = detail::make<detail::DistributionOp<RelaxedBernoulli>>(
      {logits}, RelaxedBernoulli{temperature});
  return hard ? straight_through(step(y - 0.5), y) : y;
}

Var relaxed_categorical(const Var& logits, double temperature, bool hard) {
  check_temperature(temperature, logits, "relaxed_categorical");
  const Var y = detail::make<detail::DistributionOp<RelaxedCategorical>>(
      {logits}, RelaxedCategorical{temperature});
  if (!hard) return y;
  // The row's largest entry (ties have probability 0): 1 where y >= rowmax.
  return straight_through(1.0 - step(max(y, 1) - y), y);
}
}  // namespace scg
