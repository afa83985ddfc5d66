// categorical: one one-hot row per row of logits, drawn from softmax(row). Score function,
// finite support. log p(x) = rowsum(x * log_softmax(l)), rows x 1.
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Categorical {
  static constexpr const char* kName = "categorical";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kScore,
                                              .support = Support::kFinite,
                                              .layout = StateLayout::kRows,
                                              .logits = true};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_finite(l, kName, "logit", ctx);
    boost::random::uniform_01<double> u;
    out.matrix().setZero();
    for (Eigen::Index r = 0; r < l.rows(); ++r) {
      const double m = l.matrix().row(r).maxCoeff();
      double total = 0.0;
      for (Eigen::Index c = 0; c < l.cols(); ++c) total += std::exp(l(r, c) - m);
      // Inverse CDF on the unnormalized weights; the last category takes any rounding slack.
      const double target = u(engine) * total;
      double acc = 0.0;
      Eigen::Index pick = l.cols() - 1;
      for (Eigen::Index c = 0; c < l.cols(); ++c) {
        acc += std::exp(l(r, c) - m);
        if (target < acc) {
          pick = c;
          break;
        }
      }
      out(r, pick) = 1.0;
    }
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_binary(v, kName, ctx);
    for (Eigen::Index r = 0; r < v.rows(); ++r)
      if (v.matrix().row(r).sum() != 1.0)
        ctx.fail("categorical: fed row " + std::to_string(r) + " is not one-hot (it holds " +
                 std::to_string(v.matrix().row(r).sum()) + " ones)");
  }
  Var log_prob(std::span<const Var> params, const Var& x) const {
    return sum(x * log_softmax(params[0]), 1);
  }
  // Per row: H = -sum softmax(l) log_softmax(l); KL(q || p) = sum softmax(l_q) (log_softmax(l_q) -
  // log_softmax(l_p)).
  Var entropy(std::span<const Var> p) const { return -sum(softmax(p[0]) * log_softmax(p[0]), 1); }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    return sum(softmax(q[0]) * (log_softmax(q[0]) - log_softmax(p[0])), 1);
  }
  // Row state k is one-hot at k: the log-probabilities of every state are log_softmax(l).
  Var row_state_log_probs(std::span<const Var> params, Shape value) const {
    const Var& l = params[0];
    if (l.cols() != value.cols || (l.rows() != value.rows && l.rows() != 1)) return Var();
    const Var t = log_softmax(l);
    return l.rows() == value.rows ? t : t + l.graph().constant(Tensor(value.rows, value.cols, 0.0));
  }
  double state_count(Shape out) const {
    return std::pow(static_cast<double>(out.cols), static_cast<double>(out.rows));
  }
  void state(std::size_t index, Tensor& value) const {
    const auto k = static_cast<std::size_t>(value.cols());
    value.matrix().setZero();
    for (Eigen::Index r = 0; r < value.rows(); ++r) {
      value(r, static_cast<Eigen::Index>(index % k)) = 1.0;
      index /= k;
    }
  }
};
}  // namespace

Var categorical(const Var& logits) {
  return detail::make_shared_op<detail::DistributionOp<Categorical>>({logits});
}
}  // namespace scg
