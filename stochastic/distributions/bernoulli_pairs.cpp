// bernoulli_pairs: Bernoulli samples in antithetic pairs of rows. Rows 2i and 2i+1 share one
// uniform u per element: x = [u < sigmoid(l)], x' = [1 - u < sigmoid(l)], so each row alone is
// Bernoulli(sigmoid(l)) and the pair is what DisARM (Dong, Mnih and Tucker 2020) needs. The
// logits of a pair's two rows must be equal (checked at run time). Score function. log_prob is
// each row's own (marginal) log-probability: right for score terms weighted row by row, which
// is why grad refuses a bernoulli_pairs node that reaches the cost through ops mixing rows.
// The rows of a pair are not independent, so expectation cannot enumerate it as a product.
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct BernoulliPairs {
  static constexpr const char* kName = "bernoulli_pairs";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kScore,
                                              .support = Support::kFinite,
                                              .logits = true,
                                              .antithetic_pairs = true};
  Shape infer(std::span<const Shape> in) const {
    if (in[0].rows % 2 != 0)
      shape_error(kName, in, "rows must come in antithetic pairs (an even count)");
    return in[0];
  }
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_finite(l, kName, "logit", ctx);
    boost::random::uniform_01<double> u01;
    for (Eigen::Index r = 0; r < l.rows(); r += 2)
      for (Eigen::Index c = 0; c < l.cols(); ++c) {
        if (l(r, c) != l(r + 1, c))
          ctx.fail("bernoulli_pairs: the logits of rows " + std::to_string(r) + " and " +
                   std::to_string(r + 1) + " differ in column " + std::to_string(c) + " (" +
                   std::to_string(l(r, c)) + " vs " + std::to_string(l(r + 1, c)) +
                   "); a pair's rows must share their logits");
        const double u = u01(engine), p = 1.0 / (1.0 + std::exp(-l(r, c)));
        out(r, c) = u < p ? 1.0 : 0.0;
        out(r + 1, c) = 1.0 - u < p ? 1.0 : 0.0;
      }
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_binary(v, kName, ctx);
  }
  Var log_prob(std::span<const Var> params, const Var& x) const {
    return -softplus((1.0 - 2.0 * x) * params[0]);
  }
  void state(std::size_t, Tensor&) const { state_count({}); }
  double state_count(Shape) const {
    throw Error(
        "bernoulli_pairs: the two rows of a pair are coupled, so expectation cannot enumerate them "
        "as independent choices; for exact values build the model with bernoulli");
  }
};
}  // namespace

Var bernoulli_pairs(const Var& logits) {
  return detail::make_shared_op<detail::DistributionOp<BernoulliPairs>>({logits});
}
}  // namespace scg
