// bernoulli: x = 1 with probability sigmoid(l), else 0. Score function, finite support.
// log p(x) = x log sig(l) + (1 - x) log sig(-l) = -softplus((1 - 2x) l) for x in {0, 1}: one
// transcendental per element, finite for any finite l, and accurate to a few ulps in both
// tails (x l - softplus(l), the same in exact arithmetic, cancels for x = 1 and large l).
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "scg/stochastic/distributions/detail/distribution_op.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
struct Bernoulli {
  static constexpr const char* kName = "bernoulli";
  static constexpr DistributionTraits kTraits{.path = GradientPath::kScore,
                                              .support = Support::kFinite,
                                              .layout = StateLayout::kElements,
                                              .logits = true};
  void sample(std::span<const Tensor* const> in, Tensor& out, Engine& engine,
              const RunContext& ctx) const {
    const Tensor& l = *in[0];
    detail::require_finite(l, kName, "logit", ctx);
    // Uniforms first (the engine is sequential), then vectorized passes: x = [u < sigmoid(l)]
    // = [u (1 + e^-l) < 1]. Right at both ends: e^-l = inf gives inf or NaN (u = 0), never
    // below 1, so x = 0; e^-l = 0 gives u < 1, so x = 1.
    boost::random::uniform_01<double> u;
    double* o = out.data();
    const Eigen::Index n = out.matrix().size();
    for (Eigen::Index i = 0; i < n; ++i) o[i] = u(engine);
    out.array() *= 1.0 + (-l.array()).exp();
    for (Eigen::Index i = 0; i < n; ++i) o[i] = o[i] < 1.0 ? 1.0 : 0.0;
  }
  void check(std::span<const Tensor* const>, const Tensor& v, const RunContext& ctx) const {
    detail::check_binary(v, kName, ctx);
  }
  Var log_prob(std::span<const Var> params, const Var& x) const {
    return -softplus((1.0 - 2.0 * x) * params[0]);
  }
  // H = -(s log s + (1 - s) log(1 - s)), s = sigmoid(l), with log s = log_sigmoid(l) and
  // 1 - s = sigmoid(-l); KL(q || p) = s_q (log s_q - log s_p) + (1 - s_q) (log(1 - s_q) - log(1 -
  // s_p)).
  Var entropy(std::span<const Var> p) const {
    const Var& l = p[0];
    return -(sigmoid(l) * log_sigmoid(l) + sigmoid(-l) * log_sigmoid(-l));
  }
  Var kl(std::span<const Var> q, std::span<const Var> p) const {
    const Var &lq = q[0], &lp = p[0];
    return sigmoid(lq) * (log_sigmoid(lq) - log_sigmoid(lp)) +
           sigmoid(-lq) * (log_sigmoid(-lq) - log_sigmoid(-lp));
  }
  // Row states k of a 1 x C sample: bits of k. With S (K x C) the states, log p = log sig(l) S^T
  // + log sig(-l) (1 - S)^T: two matmuls for every state of every row.
  Var row_state_log_probs(std::span<const Var> params, Shape value) const {
    const Var& l = params[0];
    if (l.cols() != value.cols || value.cols > 16 || (l.rows() != value.rows && l.rows() != 1))
      return Var();
    const auto k = static_cast<Eigen::Index>(1) << value.cols;
    Tensor st(value.cols, k), nt(value.cols, k);
    for (Eigen::Index s = 0; s < k; ++s)
      for (Eigen::Index c = 0; c < value.cols; ++c)
        st(c, s) = static_cast<double>((s >> c) & 1), nt(c, s) = 1.0 - st(c, s);
    Graph& g = l.graph();
    Var t = matmul(log_sigmoid(l), g.constant(std::move(st))) +
            matmul(log_sigmoid(-l), g.constant(std::move(nt)));
    if (l.rows() != value.rows) t = t + g.constant(Tensor(value.rows, k, 0.0));
    return t;
  }
  double state_count(Shape out) const { return std::pow(2.0, static_cast<double>(out.size())); }
  void state(std::size_t index, Tensor& value) const {
    for (Eigen::Index i = 0; i < value.shape().size(); ++i)
      value.data()[i] = static_cast<double>((index >> i) & 1u);
  }
};
}  // namespace

Var bernoulli(const Var& logits) {
  return detail::make_shared_op<detail::DistributionOp<Bernoulli>>({logits});
}
}  // namespace scg
